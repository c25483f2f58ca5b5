"""GET / POST /api/ai/metrics: the seed's fields, health, permissions, tenancy, export."""

import csv
import io

import pytest

from metrics.services import rollup_pending
from models_registry.models import InferenceLog

URL = "/api/ai/metrics"


def classify_and_judge(client, n=12, wrong=3):
    """n classify calls; feedback on all of them, `wrong` of them corrected."""
    ids = []
    for i in range(n):
        answer = client.post(
            "/api/ai/classify",
            {"subject": f"Charged twice for my plan {i}", "body": "Billing problem"},
            format="json",
        )
        assert answer.status_code == 201, answer.json()
        ids.append(answer.json()["operationId"])
    for i, operation_id in enumerate(ids):
        body = {"operationType": "classification", "operationId": operation_id}
        if i < wrong:
            body |= {"feedback": "negative", "correctedCategory": "Feature Request"}
        else:
            body |= {"feedback": "positive"}
        assert client.post("/api/ai/feedback", body, format="json").status_code in (200, 201)
    return ids


@pytest.mark.django_db
def test_the_seed_call_reads_health_accuracy_and_cost(trained_org, make_client):
    client = make_client(trained_org, "agent")
    classify_and_judge(client)
    response = client.get(URL, {"period": "day", "includeDetails": "true"})
    assert response.status_code == 200, response.json()
    data = response.json()
    logs = InferenceLog.objects.filter(organization=trained_org, task="category")
    judged = logs.exclude(outcome="unknown")
    correct = judged.filter(outcome="correct").count()
    assert data["systemHealth"]["status"] in ("healthy", "degraded", "unhealthy")
    assert 0 <= data["systemHealth"]["score"] <= 100
    classification = data["metrics"]["classification"]
    assert classification["total"] == logs.count() == 12
    assert classification["judged"] == judged.count() == 12
    assert classification["accuracy"] == pytest.approx(correct / 12)
    assert classification["processingTimeMs"]["p95"] > 0
    assert "totalCostUSD" in data["metrics"]["cost"]
    distribution = data["details"]["distributions"]["category"]
    assert sum(row["count"] for row in distribution) == 12
    assert data["details"]["timeline"][-1]["inferences"] >= 12


@pytest.mark.django_db
def test_rolled_up_and_live_answers_are_the_same(trained_org, make_client):
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=6, wrong=2)
    before = client.get(URL, {"period": "all", "includeDetails": "true"}).json()
    # Move the rows two hours back and roll them up: the answer comes from rollups now.
    from datetime import timedelta

    from django.utils import timezone

    InferenceLog.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert rollup_pending()["rollups"] >= 1
    after = client.get(URL, {"period": "all", "includeDetails": "true"}).json()
    assert after["metrics"]["classification"] == before["metrics"]["classification"]
    assert after["metrics"]["cost"] == before["metrics"]["cost"]


@pytest.mark.django_db
def test_bad_parameters_are_400(trained_org, make_client):
    client = make_client(trained_org, "agent")
    for params in (
        {"period": "decade"},
        {"from": "yesterday"},
        {"from": "2026-02-02", "to": "2026-02-01"},
        {"modelVersion": "v1.0.0"},
        {"includeDetails": "maybe"},
    ):
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert response.json()["error"]


@pytest.mark.django_db
def test_unknown_version_is_404(trained_org, make_client):
    client = make_client(trained_org, "agent")
    response = client.get(URL, {"task": "category", "modelVersion": "v9.9.9"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_other_organizations_inferences_never_count(trained_org, other_org, make_client):
    classify_and_judge(make_client(trained_org, "agent"), n=3, wrong=0)
    data = make_client(other_org, "agent").get(URL).json()
    assert data["metrics"]["classification"]["total"] == 0
    assert data["systemHealth"]["status"] == "no_data"


@pytest.mark.django_db
def test_post_is_for_admins_and_exports_csv(trained_org, make_client):
    agent = make_client(trained_org, "agent")
    classify_and_judge(agent, n=4, wrong=1)
    body = {"action": "export", "format": "csv", "period": "day"}
    assert agent.post(URL, body, format="json").status_code == 403
    admin = make_client(trained_org, "admin")
    response = admin.post(URL, body, format="json")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    category = [r for r in rows if r["task"] == "category"]
    assert sum(int(r["inferences"]) for r in category) == 4
    correct = InferenceLog.objects.filter(task="category", outcome="correct").count()
    assert sum(int(r["correct"]) for r in category) == correct >= 3
    exported = admin.post(URL, {"action": "export", "format": "json"}, format="json").json()
    assert exported["metrics"]["classification"]["total"] == 4 and "details" in exported


@pytest.mark.django_db
def test_recalculate_rebuilds_a_range_and_is_idempotent(trained_org, make_client):
    from datetime import timedelta

    from django.utils import timezone

    from metrics.models import MetricRollup

    classify_and_judge(make_client(trained_org, "agent"), n=3, wrong=1)
    InferenceLog.objects.update(created_at=timezone.now() - timedelta(hours=3))
    rollup_pending()
    admin = make_client(trained_org, "admin")
    start = (timezone.now() - timedelta(hours=6)).isoformat()
    end = timezone.now().isoformat()
    body = {"action": "recalculate", "from": start, "to": end}
    first = admin.post(URL, body, format="json")
    assert first.status_code == 200, first.json()
    rows = list(MetricRollup.objects.values_list("hour", "task", "inferences", "correct"))
    assert admin.post(URL, body, format="json").json() == first.json()
    assert list(MetricRollup.objects.values_list("hour", "task", "inferences", "correct")) == rows
    assert admin.post(URL, {"action": "recalculate"}, format="json").status_code == 400


@pytest.mark.django_db
def test_prediction_drift_lowers_health_and_says_what_to_do(settings, trained_org, make_client):
    from models_registry.models import ModelVersion

    version = ModelVersion.objects.get(organization=trained_org, task="category")
    # The version learnt on an even mix of ten classes; the traffic is all about billing.
    labels = {f"Class {i}": 100 for i in range(9)} | {"Billing": 100}
    version.metrics = {**version.metrics, "drift_reference": {"label_distribution": labels}}
    version.save(update_fields=["metrics"])
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=8, wrong=0)
    # Eight predictions are below the default minimum: shown, never flagged.
    data = client.get(URL).json()
    [entry] = [m for m in data["metrics"]["monitoring"] if m["task"] == "category"]
    assert entry["predictionDrift"]["jsDistance"] > 0.2
    assert entry["predictionDrift"]["level"] == "insufficient_data"
    assert "drift" not in " ".join(data["systemHealth"]["issues"])
    # A setting changed mid-test is not in the answer cache's key (settings are constant in a
    # process): read it uncached.
    settings.AIOPS_METRICS_CACHE = False
    settings.AIOPS_DRIFT_MIN_PREDICTIONS = 8
    data = client.get(URL).json()
    [entry] = [m for m in data["metrics"]["monitoring"] if m["task"] == "category"]
    assert entry["predictionDrift"]["level"] == "alert"
    assert entry["predictionDrift"]["jsDistance"] > 0.2
    assert entry["confidenceDrift"]["level"] == "no_data"
    issues = " ".join(data["systemHealth"]["issues"])
    assert "predicted-class drift" in issues
    assert any("retrain" in r for r in data["systemHealth"]["recommendations"])


@pytest.mark.django_db
@pytest.mark.parametrize("cached", [False, True])
def test_query_count_is_pinned(
    settings, cached, trained_org, make_client, django_assert_max_num_queries
):
    settings.AIOPS_METRICS_CACHE = cached
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=3, wrong=1)
    client.get(URL)  # the health snapshot (and the closed hours) are cached from here on
    for details in ("false", "true"):
        # watermark, confidence edges, suggestions used, the live rows, the versions' facts;
        # with the answer cache, first the watermark and the live rows' signature
        with django_assert_max_num_queries(7 if cached else 5):
            assert client.get(URL, {"includeDetails": details}).status_code == 200
        if cached:  # the same answer again: the watermark and the signature only
            with django_assert_max_num_queries(2):
                assert client.get(URL, {"includeDetails": details}).status_code == 200


@pytest.mark.django_db
def test_a_cached_answer_changes_with_every_new_inference_and_outcome(
    settings, trained_org, make_client
):
    settings.AIOPS_METRICS_CACHE = True
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=2, wrong=0)
    first = client.get(URL).json()["metrics"]["classification"]
    assert client.get(URL).json()["metrics"]["classification"] == first  # from the cache
    answer = client.post("/api/ai/classify", {"subject": "Refund please"}, format="json")
    assert client.get(URL).json()["metrics"]["classification"]["total"] == first["total"] + 1
    body = {"operationType": "classification", "operationId": answer.json()["operationId"]}
    client.post("/api/ai/feedback", body | {"feedback": "positive"}, format="json")
    assert client.get(URL).json()["metrics"]["classification"]["judged"] == first["judged"] + 1


@pytest.mark.django_db
def test_health_recommends_a_retrain_with_the_figures_when_the_policy_would(
    trained_org, make_client
):
    from training.models import RetrainPolicy

    RetrainPolicy.objects.create(
        organization=trained_org, task="category", accuracy_threshold=0.95, accuracy_min_samples=5
    )
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=8, wrong=4)
    correct = InferenceLog.objects.filter(task="category", outcome="correct").count()
    recommendations = client.get(URL).json()["systemHealth"]["recommendations"]
    expected = f"category: accuracy {correct / 8:.2f} < 0.95 over 8 judged predictions: retrain"
    assert any(r.startswith(expected) for r in recommendations), recommendations


@pytest.mark.django_db
def test_a_long_recalculation_is_queued(trained_org, make_client):
    from datetime import timedelta

    from django.utils import timezone

    admin = make_client(trained_org, "admin")
    end = timezone.now()
    body = {"action": "recalculate", "from": (end - timedelta(hours=72)).isoformat()}
    response = admin.post(URL, body | {"to": end.isoformat()}, format="json")
    assert response.status_code == 202 and response.json() == {"queued": True}
