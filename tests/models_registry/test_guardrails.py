"""Guardrails: a significantly worse canary or arm B is rolled back on beat, with the why."""

import pytest

from models_registry import services
from models_registry.models import ABTest, Deployment, DeploymentEvent, InferenceLog
from models_registry.tasks import guardrails_check_task
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def logs(org, version, n, *, correct=0, errors=0, ab_test=None, arm=""):
    InferenceLog.objects.bulk_create(
        InferenceLog(
            organization=org,
            task="category",
            model_version=version,
            ab_test=ab_test,
            arm=arm,
            latency_ms=2.0,
            success=i >= errors,
            error="boom" if i < errors else "",
            outcome="correct" if i < correct else "incorrect",
        )
        for i in range(n)
    )


@pytest.fixture
def canary(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    return v1, v2


def test_worse_canary_accuracy_is_rolled_back_with_an_audit_record(org, canary):
    v1, v2 = canary
    logs(org, v1, 400, correct=360)
    logs(org, v2, 200, correct=120)
    assert guardrails_check_task.delay().get() == 1
    active = Deployment.objects.get(organization=org, status="active")
    assert active.model_version == v1 and active.candidate_version is None
    event = DeploymentEvent.objects.get(action="guardrail")
    assert (event.from_version, event.to_version) == (v2, v1)
    assert "accuracy of v1.1.0 is 60.0% against 90.0% for v1.0.0" in event.reason
    assert "below 0" in event.reason


def test_worse_canary_error_rate_is_rolled_back(org, canary):
    v1, v2 = canary
    logs(org, v1, 300, correct=0, errors=0)
    InferenceLog.objects.filter(model_version=v1).update(outcome="unknown")
    logs(org, v2, 300, correct=0, errors=60)
    InferenceLog.objects.filter(model_version=v2).update(outcome="unknown")
    reasons = services.guardrails_check()
    assert len(reasons) == 1 and "error rate of v1.1.0 is 20.0%" in reasons[0]


def test_similar_candidate_is_left_alone(org, canary):
    v1, v2 = canary
    logs(org, v1, 400, correct=360)
    logs(org, v2, 400, correct=355)
    assert services.guardrails_check() == []
    assert Deployment.objects.get(organization=org, status="active").candidate_version == v2
    assert not DeploymentEvent.objects.filter(action="guardrail").exists()


def test_small_worse_sample_is_not_enough(org, canary):
    v1, v2 = canary
    logs(org, v1, 400, correct=400)
    logs(org, v2, 20, correct=0)  # below the minimum sample size per side
    assert services.guardrails_check() == []


def test_worse_arm_b_stops_the_ab_test(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    logs(org, v1, 300, correct=270, ab_test=ab_test, arm="A")
    logs(org, v2, 300, correct=180, ab_test=ab_test, arm="B")
    reasons = services.guardrails_check(organization=org)
    assert len(reasons) == 1 and "arm B (v1.1.0)" in reasons[0]
    ab_test = ABTest.objects.get(pk=ab_test.pk)
    assert ab_test.status == "stopped"
    v2.refresh_from_db()
    assert v2.status == "deprecated"
    event = DeploymentEvent.objects.get(action="guardrail")
    assert event.ab_test == ab_test and event.reason == reasons[0]


def test_beat_schedule_runs_the_guardrails():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "models_registry.tasks.guardrails_check_task" in tasks
