"""Shadow deployments: a candidate predicts on a share of live traffic, unseen; agreement and
accuracy on feedback are reported per class."""

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from aiops.exceptions import Conflict, InvalidInput
from aiops.services.operations import classify, operation_input
from models_registry import services
from models_registry.models import (
    DeploymentEvent,
    InferenceLog,
    ShadowDeployment,
    ShadowPrediction,
)
from models_registry.routing import in_share
from models_registry.selectors import route_for_unit, shadow_report
from tests.factories import categories

pytestmark = pytest.mark.django_db

TEXTS = ["refund my invoice", "charged twice", "cannot log in", "password reset fails"] * 3
LABELS = ["Billing", "Billing", "Access", "Access"] * 3


def fitted(labels=LABELS):
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(TEXTS, labels)


@pytest.fixture
def live_and_shadow(org):
    categories(org, "Billing", "Access")  # classify links a prediction to its category
    live = services.model_version_register(
        organization=org, task="category", version="1.0.0", model=fitted()
    )
    # The shadow always answers "Billing": it agrees on billing tickets only.
    candidate = services.model_version_register(
        organization=org, task="category", version="1.1.0", model=fitted(["Billing"] * 11 + ["X"])
    )
    services.model_version_deploy(model_version=live)
    return live, candidate


def test_start_validates_and_is_audited(org, live_and_shadow):
    live, candidate = live_and_shadow
    external = services.model_version_register(
        organization=org, task="category", version="3.0.0", provider="p", external_model_id="m"
    )
    with pytest.raises(Conflict, match="v3.0.0 cannot serve here: it is an external model"):
        services.shadow_start(model_version=external)
    with pytest.raises(InvalidInput):
        services.shadow_start(model_version=candidate, percentage=0)
    shadow = services.shadow_start(model_version=candidate, percentage=50, reason="try")
    with pytest.raises(Conflict, match="is active"):
        services.shadow_start(model_version=candidate)
    assert DeploymentEvent.objects.filter(action="shadow_start", to_version=candidate).exists()
    services.shadow_end(organization=org, task="category")
    assert not ShadowDeployment.objects.get(pk=shadow.pk).active
    with pytest.raises(Conflict, match="No shadow"):
        services.shadow_end(organization=org, task="category")


def test_route_marks_the_shadow_share_only(org, live_and_shadow):
    live, candidate = live_and_shadow
    shadow = services.shadow_start(model_version=candidate, percentage=30)
    marked = 0
    for unit in map(str, range(200)):
        route = route_for_unit(organization=org, task="category", unit_id=unit)
        assert route.version == live
        expected = in_share(salt=shadow.salt, unit_id=unit, percentage=30)
        assert (route.shadow is not None) == expected
        marked += expected
    assert 0 < marked < 200


def test_classify_returns_the_live_answer_and_the_shadow_predicts_after_commit(
    org, live_and_shadow, django_capture_on_commit_callbacks
):
    live, candidate = live_and_shadow
    shadow = services.shadow_start(model_version=candidate)
    texts = ["refund my invoice please", "cannot log in at all"]
    records = []
    with django_capture_on_commit_callbacks(execute=True):
        for text in texts:
            records.append(
                classify(organization=org, source=operation_input(organization=org, body=text))
            )
    assert [r.model_version for r in records] == [live, live]
    assert [r.category.name for r in records] == ["Billing", "Access"]
    predictions = ShadowPrediction.objects.filter(shadow=shadow).order_by("inference_log_id")
    assert [p.predicted_label for p in predictions] == ["Billing", "Billing"]
    assert [p.inference_log_id for p in predictions] == [r.inference_log_id for r in records]


def test_report_per_class_agreement_and_accuracy_on_feedback(org, live_and_shadow):
    live, candidate = live_and_shadow
    shadow = services.shadow_start(model_version=candidate)

    def pair(live_label, shadow_label, outcome="unknown", true_label=""):
        log = InferenceLog.objects.create(
            organization=org,
            task="category",
            model_version=live,
            latency_ms=1,
            predicted_label=live_label,
            outcome=outcome,
            true_label=true_label,
        )
        ShadowPrediction.objects.create(
            shadow=shadow, inference_log=log, predicted_label=shadow_label, latency_ms=1
        )

    pair("Billing", "Billing", "correct")  # both right
    pair("Billing", "Access", "correct")  # live right, shadow wrong
    pair("Billing", "Billing")  # agreement, no feedback
    pair("Access", "Billing", "incorrect", "Billing")  # live wrong, shadow right
    pair("Access", "Access", "incorrect", "Shipping")  # both wrong
    pair("Access", "Billing", "incorrect")  # corrected without a label: shadow unjudged
    report = shadow_report(shadow=shadow)
    assert report["predictions"] == 6 and report["agreement"] == pytest.approx(3 / 6)
    assert report["judged"] == 4 and report["shadow_accuracy"] == pytest.approx(2 / 4)
    assert report["live_accuracy"] == pytest.approx(2 / 5)  # 2 correct of 5 judged logs
    by_class = {row["label"]: row for row in report["per_class"]}
    assert by_class["Billing"]["agreement"] == pytest.approx(2 / 3)
    assert by_class["Billing"]["shadow_accuracy"] == pytest.approx(1 / 2)
    assert by_class["Billing"]["live_accuracy"] == 1.0
    assert by_class["Access"]["agreement"] == pytest.approx(1 / 3)
    assert by_class["Access"]["judged"] == 2
    assert by_class["Access"]["shadow_accuracy"] == pytest.approx(1 / 2)
    assert by_class["Access"]["live_accuracy"] == 0.0


def test_shadow_through_the_api(org, make_client, live_and_shadow):
    admin = make_client(org, "admin")
    started = admin.post(
        "/api/ai/models", {"action": "shadow", "version": "v1.1.0", "percentage": 40}, format="json"
    )
    assert started.status_code == 201, started.json()
    assert started.json()["shadowVersion"] == "v1.1.0" and started.json()["percentage"] == 40
    results = admin.get("/api/ai/models", {"view": "shadow-results"}).json()
    assert results["predictions"] == 0 and results["active"] is True
    ended = admin.post("/api/ai/models", {"action": "end-shadow"}, format="json")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert admin.post("/api/ai/models", {"action": "end-shadow"}, format="json").status_code == 409
