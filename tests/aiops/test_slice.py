"""The vertical slice end to end through the API: import → train → classify/suggest/sentiment."""

import pytest

from aiops.models import Classification, SentimentAnalysis, Suggestion, Ticket
from models_registry.models import Deployment, InferenceLog, ModelVersion
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def test_train_through_api_registers_and_deploys_v1(
    org, make_client, django_capture_on_commit_callbacks
):
    from aiops.services.demo import demo_helpdesk_load

    demo_helpdesk_load(organization=org, seed=5, n_tickets=300)
    admin = make_client(org, "admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/api/ai/train", {"action": "train", "task": "category"}, format="json"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    run = TrainingRun.objects.get(pk=body["runId"])
    assert run.status == "succeeded", run.error  # eager Celery runs it on commit
    version = run.model_version
    assert (version.major, version.minor, version.patch) == (1, 0, 0)
    assert version.status == "active"
    assert version.artifact_sha256 and len(run.example_ids) > 0
    assert 0.5 < run.metrics["accuracy"] <= 1.0
    assert (
        Deployment.objects.get(organization=org, task="category", status="active").model_version
        == version
    )
    with django_capture_on_commit_callbacks(execute=True):
        same = admin.post("/api/ai/train", {"task": "category"}, format="json").json()
    unchanged = admin.get(f"/api/training-runs/{same['runId']}").json()
    assert (unchanged["status"], unchanged["unchanged"]) == ("succeeded", True)
    assert unchanged["modelVersion"] is None  # the same data: nothing new to register
    with django_capture_on_commit_callbacks(execute=True):
        again = admin.post("/api/ai/train", {"task": "category", "force": True}, format="json")
    again = again.json()
    second = ModelVersion.objects.get(training_run__pk=again["runId"])
    assert second.version == "v1.1.0"
    assert TrainingRun.objects.get(pk=again["runId"]).comparison["active_version"] == "v1.0.0"
    history = admin.get("/api/ai/train").json()["history"]
    assert [h["runId"] for h in history] == [again["runId"], same["runId"], run.pk]


def test_classify_by_ticket_and_by_text(trained_org, agent_client):
    ticket = Ticket.objects.filter(organization=trained_org).first()
    response = agent_client.post("/api/ai/classify", {"ticketId": ticket.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {
        "operationId",
        "category",
        "confidence",
        "modelVersion",
        "processingTimeMs",
    }
    assert body["modelVersion"] == "v1.0.0"
    assert 0 < body["confidence"] <= 1
    record = Classification.objects.get(pk=body["operationId"])
    assert record.ticket == ticket and record.category.name == body["category"]
    log = InferenceLog.objects.get(pk=record.inference_log_id)
    assert log.task == "category" and log.unit_id == str(ticket.pk)
    assert log.predicted_label == body["category"] and log.latency_ms > 0
    assert log.outcome == "unknown"

    text = agent_client.post(
        "/api/ai/classify",
        {"subject": "Charged twice", "body": "My invoice shows a double charge"},
        format="json",
    )
    assert text.status_code == 201
    assert text.json()["ticketId"] is None


def test_classification_accuracy_on_demo_holdout_is_high(trained_org):
    version = ModelVersion.objects.get(organization=trained_org, task="category", status="active")
    assert version.metrics["accuracy"] >= 0.75


def test_suggest_returns_resolutions_of_similar_resolved_tickets(trained_org, agent_client):
    open_ticket = Ticket.objects.filter(organization=trained_org, status="open").first()
    response = agent_client.post("/api/ai/suggest", {"ticketId": open_ticket.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["suggestion"]
    refs = body["sourceReferences"]
    assert refs and all(ref["ticketId"] != open_ticket.pk for ref in refs)
    best = Ticket.objects.get(pk=refs[0]["ticketId"])
    assert best.status in ("resolved", "closed")
    # Its resolution, line for line, but for the greeting and its customer's details
    # (tests/aiops/test_suggest_redaction.py).
    lines, suggested = best.resolution.splitlines(), body["suggestion"].splitlines()
    assert len(suggested) == len(lines)
    assert [s for s in suggested[1:] if "[" not in s] == [s for s in lines[1:] if s in suggested]
    assert Suggestion.objects.filter(pk=body["operationId"], ticket=open_ticket).exists()


def test_sentiment(trained_org, agent_client):
    response = agent_client.post(
        "/api/ai/sentiment",
        {"subject": "Thank you so much", "body": "Great support, everything works now!"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["sentiment"] in ("negative", "neutral", "positive")
    assert SentimentAnalysis.objects.filter(pk=body["operationId"]).exists()


def test_operation_list_query_count_is_constant(
    trained_org, agent_client, django_assert_max_num_queries
):
    ticket_ids = Ticket.objects.filter(organization=trained_org).values_list("pk", flat=True)[:5]
    for pk in ticket_ids:
        agent_client.post("/api/ai/classify", {"ticketId": pk}, format="json")
    with django_assert_max_num_queries(4):
        response = agent_client.get("/api/classifications")
    assert response.json()["count"] == 5


def test_empty_input_is_400(trained_org, agent_client):
    response = agent_client.post("/api/ai/classify", {"subject": "", "body": "  "}, format="json")
    assert response.status_code == 400
    assert "ticketId" in response.json()["fields"]
