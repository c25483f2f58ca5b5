"""POST /api/ai/classify with `include`: the priority and the sentiment beside the category,
each predicted by its own task's routed version and logged as its own inference; a task with
no model to answer is null with the reason, and the classification stands."""

from unittest import mock

import pytest
from django.db import connection

from aiops.models import Classification, SentimentAnalysis, Ticket
from models_registry.models import Deployment, InferenceLog
from models_registry.serving import ModelUnavailable

pytestmark = pytest.mark.django_db

URL = "/api/ai/classify"


@pytest.fixture
def ticket(trained_org):
    return Ticket.objects.filter(organization=trained_org).order_by("pk").first()


def test_include_answers_priority_and_sentiment_with_their_own_models(
    trained_org, agent_client, ticket
):
    response = agent_client.post(
        URL, {"ticketId": ticket.pk, "include": ["priority", "sentiment"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    record = Classification.objects.get(pk=body["operationId"])
    assert body["category"] == record.inference_log.predicted_label
    logs = {log.task: log for log in InferenceLog.objects.filter(organization=trained_org)}
    assert set(logs) == {"category", "priority", "sentiment"}
    assert {log.unit_id for log in logs.values()} == {str(ticket.pk)}

    priority = body["priority"]
    assert set(priority) == {"label", "confidence", "modelVersion", "operationId"}
    assert priority["label"] == logs["priority"].predicted_label
    assert priority["confidence"] == pytest.approx(logs["priority"].confidence)
    assert priority["modelVersion"] == logs["priority"].model_version.version == "v1.0.0"
    assert priority["operationId"] is None
    assert logs["priority"].model_version.task == "priority"

    sentiment = body["sentiment"]
    analysis = SentimentAnalysis.objects.get(pk=sentiment["operationId"])
    assert analysis.ticket == ticket and analysis.inference_log == logs["sentiment"]
    assert sentiment["label"] == analysis.sentiment == logs["sentiment"].predicted_label
    assert sentiment["modelVersion"] == "v1.0.0"
    assert body["unavailable"] == {}


def test_without_include_the_answer_and_its_cost_are_unchanged(
    trained_org, agent_client, ticket, django_assert_num_queries
):
    warm = {"ticketId": ticket.pk, "include": ["priority", "sentiment"]}
    agent_client.post(URL, warm, format="json")  # versions cached, token cached
    # An operation with its inference log, in a savepoint here: one statement on PostgreSQL
    # (aiops.sql.insert_linked), two elsewhere.
    record = 3 if connection.vendor == "postgresql" else 4
    # ticket, routing, category, the classification with its log
    with django_assert_num_queries(3 + record):
        plain = agent_client.post(URL, {"ticketId": ticket.pk}, format="json")
    assert plain.status_code == 201
    assert not {"priority", "sentiment", "unavailable"} & set(plain.json())
    empty = agent_client.post(URL, {"ticketId": ticket.pk, "include": []}, format="json")
    assert empty.json().keys() == plain.json().keys()
    # Each included task costs its own routing and writes, and nothing else: priority its
    # inference log, sentiment its operation record with its log.
    with django_assert_num_queries(3 + record + 2 + 1 + record):
        agent_client.post(
            URL, {"ticketId": ticket.pk, "include": ["priority", "sentiment"]}, format="json"
        )


def test_an_included_task_without_a_model_is_null_with_the_reason(
    trained_org, agent_client, ticket
):
    Deployment.objects.filter(organization=trained_org, task="priority").update(status="superseded")
    response = agent_client.post(
        URL, {"ticketId": ticket.pk, "include": ["sentiment", "priority"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["priority"] is None
    assert "No model is deployed for task priority" in body["unavailable"]["priority"]
    assert list(body["unavailable"]) == ["priority"]
    assert body["sentiment"]["label"] and body["category"]
    assert Classification.objects.filter(pk=body["operationId"]).exists()


def test_an_included_model_that_fails_is_null_not_a_failed_classify(
    trained_org, agent_client, ticket
):
    failed = ModelUnavailable("No version of task sentiment could answer.")
    with mock.patch("aiops.services.operations.analyze_sentiment", side_effect=failed):
        response = agent_client.post(
            URL, {"ticketId": ticket.pk, "include": ["sentiment"]}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sentiment"] is None and "priority" not in body
    assert body["unavailable"] == {"sentiment": failed.message}


@pytest.mark.parametrize("include", [["category"], ["priority", "banana"], "priority"])
def test_unknown_include_is_400(trained_org, agent_client, ticket, include):
    response = agent_client.post(URL, {"ticketId": ticket.pk, "include": include}, format="json")
    assert response.status_code == 400, response.json()
    assert "include" in response.json()["fields"]
    assert not Classification.objects.exists()
