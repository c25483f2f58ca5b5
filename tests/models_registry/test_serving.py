"""Serving fails safe: a version that cannot serve here is never deployed (409 with why), and
one that fails while serving (load or prediction) is logged as a failed inference, counted
by health and the guardrails, and its units are answered by the stable version."""

from pathlib import Path

import pytest
from django.conf import settings
from sklearn.preprocessing import FunctionTransformer

from aiops.exceptions import Conflict
from aiops.services.operations import classify, operation_input
from models_registry import services, serving
from models_registry.models import ABTest, Deployment, InferenceLog, ShadowDeployment
from models_registry.selectors import model_version_health, route_for_unit
from models_registry.serving import ModelUnavailable
from tests.models_registry.support import corrupt_artifact, register

pytestmark = pytest.mark.django_db


def _untrusted(text):  # a function inside an artifact: skops will not load it
    return text


def unservable(org, kind):
    """A version that cannot serve here, for each way it can fail."""
    if kind == "external":
        return register(org, "2.0.0", provider="openai", external_model_id="gpt-4o-mini")
    if kind == "no artifact":
        return services.model_version_register(organization=org, task="category", version="2.0.0")
    if kind == "untrusted":
        return register(org, "2.0.0", model=FunctionTransformer(func=_untrusted))
    version = register(org, "2.0.0")
    if kind == "missing":
        (Path(settings.ARTIFACT_ROOT) / version.artifact_path).unlink()
    else:
        corrupt_artifact(version)
    return version


REASONS = {
    "external": "it is an external model (openai gpt-4o-mini)",
    "no artifact": "it has no artifact",
    "missing": "is missing",
    "corrupt": "has sha256",
    "untrusted": "untrusted types",
}


@pytest.mark.parametrize("kind", list(REASONS))
def test_what_cannot_serve_here_is_never_deployed(org, kind):
    stable = register(org, "1.0.0")
    services.model_version_deploy(model_version=stable)
    version = unservable(org, kind)
    attempts = [
        lambda: services.model_version_deploy(model_version=version),
        lambda: services.model_version_deploy(model_version=version, strategy="canary"),
        lambda: services.model_version_deploy(model_version=version, strategy="gradual"),
        lambda: services.ab_test_start(version_a=stable, version_b=version),
        lambda: services.shadow_start(model_version=version),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as refused:
            attempt()
        message = refused.value.message
        assert "category v2.0.0 cannot serve here: " in message and REASONS[kind] in message
    assert Deployment.objects.count() == 1 and Deployment.objects.get().candidate_version is None
    assert not ABTest.objects.exists() and not ShadowDeployment.objects.exists()
    version.refresh_from_db()
    assert version.status == "registered"


def test_rollback_to_a_version_that_cannot_serve_any_more_is_refused(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2)
    corrupt_artifact(v1)
    serving.cache_clear()
    with pytest.raises(Conflict, match="v1.0.0 cannot serve here"):
        services.deployment_rollback(organization=org, task="category")
    assert Deployment.objects.get(status="active").model_version == v2


def classify_many(org, n):
    return [
        classify(organization=org, source=operation_input(organization=org, body=f"refund {i}"))
        for i in range(n)
    ]


@pytest.fixture
def broken_canary(org):
    """v1.0.0 stable, v1.1.0 a 50 % canary whose artifact then broke (in another process, or
    after a restart: nothing cached)."""
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=50)
    corrupt_artifact(v2)
    serving.cache_clear()
    return v1, v2


def test_a_failing_canary_is_a_failed_inference_and_the_stable_version_answers(org, broken_canary):
    v1, v2 = broken_canary
    records = classify_many(org, 40)
    assert {r.model_version for r in records} == {v1}
    routed = [
        route_for_unit(organization=org, task="category", unit_id=r.inference_log.unit_id).version
        for r in records
    ]
    failed = InferenceLog.objects.filter(model_version=v2)
    assert failed.count() == routed.count(v2) > 5
    assert not failed.filter(success=True).exists()
    assert all("has sha256" in log.error for log in failed)
    answered = InferenceLog.objects.filter(model_version=v1)
    assert answered.count() == 40 and not answered.filter(success=False).exists()
    health = model_version_health(version=v2)
    assert health["stats"]["error_rate"] == 1.0 and health["status"] == "unhealthy"
    assert any("error rate" in issue for issue in health["issues"])


def test_guardrails_roll_back_a_candidate_whose_inferences_fail(org, broken_canary):
    v1, v2 = broken_canary
    classify_many(org, 90)
    [reason] = services.guardrails_check(organization=org)
    assert "error rate of v1.1.0 is 100.0%" in reason
    deployment = Deployment.objects.get(status="active")
    assert deployment.model_version == v1 and deployment.candidate_version is None


def test_a_failing_ab_arm_keeps_its_test_and_arm_on_the_failed_log(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    corrupt_artifact(v2)
    serving.cache_clear()
    records = classify_many(org, 30)
    assert {r.model_version for r in records} == {v1}
    failed = InferenceLog.objects.filter(success=False)
    assert failed.exists()
    assert set(failed.values_list("model_version", "ab_test", "arm")) == {(v2.pk, ab_test.pk, "B")}
    # The fallback answers are not arm A's: they stay out of the test's arms.
    fallbacks = InferenceLog.objects.filter(model_version=v1, ab_test__isnull=True)
    assert fallbacks.count() == failed.count()
    results = services.ab_test_results(ab_test=ab_test)
    assert results["inferences"]["B"] == failed.count()
    assert services.guardrails_check(organization=org) == []  # 30 requests: too few yet


def test_a_prediction_that_raises_falls_back_too(org, monkeypatch):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=50)
    broken = serving.model_load(version=v2)
    real = serving.predict_label

    def predict(model, text):
        if model is broken:
            raise ValueError("boom")
        return real(model, text)

    monkeypatch.setattr("aiops.services.operations.predict_label", predict)
    records = classify_many(org, 20)
    assert {r.model_version for r in records} == {v1}
    failed = InferenceLog.objects.filter(success=False)
    assert failed.exists() and set(failed.values_list("error", flat=True)) == {
        "v1.1.0: ValueError: boom"
    }


def test_when_the_stable_version_fails_too_it_is_unavailable(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=50)
    corrupt_artifact(v1)
    corrupt_artifact(v2)
    serving.cache_clear()
    with pytest.raises(ModelUnavailable) as unavailable:
        classify_many(org, 1)
    assert unavailable.value.status_code == 503
    assert "No model version could serve category" in unavailable.value.message
    failed = InferenceLog.objects.filter(success=False)
    # The canary's unit fails twice (candidate, then stable); a stable unit once.
    assert 1 <= failed.count() <= 2 and failed.filter(model_version=v1).count() == 1


def test_a_version_that_failed_to_load_is_not_read_again_on_every_request(org, monkeypatch):
    v1 = register(org, "1.0.0")
    services.model_version_deploy(model_version=v1)
    corrupt_artifact(v1)
    serving.cache_clear()
    reads = []
    real = serving.artifact_load
    monkeypatch.setattr(serving, "artifact_load", lambda **kw: reads.append(1) or real(**kw))
    for _ in range(3):
        with pytest.raises(ModelUnavailable):
            classify_many(org, 1)
    assert len(reads) == 1 and InferenceLog.objects.filter(success=False).count() == 3
    with pytest.raises(Conflict):  # a deploy's check always reads it again
        services.shadow_start(model_version=v1)
    assert len(reads) == 2
