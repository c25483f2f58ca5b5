"""Every refusal of POST /api/ai/feedback is a 4xx JSON error with field messages, and leaves
nothing written: not the operation, not the feedback, not the log, not the training data."""

from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from aiops.models import Classification
from feedback.models import Feedback
from feedback.services import submit
from models_registry.models import InferenceLog
from tests.feedback.operations import make_classification
from training.models import TrainingExample

pytestmark = pytest.mark.django_db

URL = "/api/ai/feedback"


def assert_nothing_written(operation):
    fresh = type(operation).objects.get(pk=operation.pk)
    assert fresh.updated_at == operation.updated_at
    assert fresh.feedback_comment == ""
    assert not Feedback.objects.exists()
    assert not TrainingExample.objects.exists()
    log = InferenceLog.objects.get(pk=operation.inference_log_id)
    assert (log.outcome, log.true_label, log.outcome_at) == ("unknown", "", None)


def body_for(operation, **extra):
    return {"operationType": "classification", "operationId": operation.pk, **extra}


def test_unknown_operation_is_404(classification, agent_client):
    response = agent_client.post(
        URL,
        {**body_for(classification), "operationId": 999_999, "feedback": "positive"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert_nothing_written(classification)


def test_wrong_operation_type_for_the_id_is_404(classification, agent_client):
    body = body_for(classification, feedback="positive", operationType="sentiment")
    assert agent_client.post(URL, body, format="json").status_code == 404


def test_another_organizations_operation_is_404(classification, other_org, make_client):
    outsider = make_client(other_org, "admin")
    body = body_for(classification, feedback="negative", correctedCategory="Account")
    response = outsider.post(URL, body, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert_nothing_written(classification)


def test_category_of_another_organization_is_unknown(classification, other_org, make_client):
    make_classification(other_org, category="Account")
    from aiops.models import Category

    Category.objects.create(organization=other_org, name="Refunds")
    client = make_client(classification.organization)
    body = body_for(classification, feedback="negative", correctedCategory="Refunds")
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "Refunds" not in response.json()["message"].split("Valid categories:")[1]


def test_unknown_category_is_400_naming_the_valid_ones(classification, agent_client):
    body = body_for(classification, feedback="negative", correctedCategory="Plumbing")
    response = agent_client.post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "invalid"
    assert "Account, Billing, Technical Issue" in error["message"]
    assert "Account, Billing, Technical Issue" in error["fields"]["correctedCategory"][0]
    assert_nothing_written(classification)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"feedback": "positive", "correctedCategory": "Account"}, "correctedCategory"),
        ({"feedback": "negative", "correctedCategory": "Billing"}, "correctedCategory"),
        ({"feedback": "negative", "correctedSentiment": "negative"}, "correctedSentiment"),
        ({"feedback": "positive", "wasUsed": True}, "wasUsed"),
        ({"feedback": "positive", "wasHelpful": True}, "wasHelpful"),
        ({"feedback": "negative", "correctedCategory": ""}, "correctedCategory"),
        ({"feedback": "meh"}, "feedback"),
        ({}, "feedback"),
        ({"feedback": "positive", "operationType": "forecast"}, "operationType"),
        ({"feedback": "positive", "operationId": "abc"}, "operationId"),
        ({"feedback": "positive", "operationId": None}, "operationId"),
        ({"feedback": "positive", "operationId": 0}, "operationId"),
        ({"feedback": "positive", "comment": ["a"]}, "comment"),
    ],
)
def test_invalid_body_is_400_with_a_field_message(classification, agent_client, extra, field):
    response = agent_client.post(URL, {**body_for(classification), **extra}, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()
    assert error["error"] == "invalid"
    assert field in error["fields"] and error["fields"][field]
    assert_nothing_written(classification)


def test_missing_operation_fields_are_400(agent_client):
    response = agent_client.post(URL, {"feedback": "positive"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"operationType", "operationId"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"feedback": "positive", "correctedSentiment": "negative"}, "correctedSentiment"),
        ({"feedback": "negative", "correctedSentiment": "neutral"}, "correctedSentiment"),
        ({"feedback": "negative", "correctedSentiment": "furious"}, "correctedSentiment"),
        ({"feedback": "negative", "correctedCategory": "Billing"}, "correctedCategory"),
    ],
)
def test_invalid_sentiment_feedback_is_400(sentiment, agent_client, extra, field):
    body = {"operationType": "sentiment", "operationId": sentiment.pk, **extra}
    response = agent_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert_nothing_written(sentiment)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"feedback": "positive", "wasHelpful": False}, "wasHelpful"),
        ({"feedback": "negative", "wasHelpful": True}, "wasHelpful"),
        ({"feedback": "neutral", "wasUsed": "maybe"}, "wasUsed"),
        ({"feedback": "neutral", "correctedCategory": "Billing"}, "correctedCategory"),
    ],
)
def test_invalid_suggestion_feedback_is_400(suggestion, agent_client, extra, field):
    body = {"operationType": "suggestion", "operationId": suggestion.pk, **extra}
    response = agent_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert_nothing_written(suggestion)


def test_a_failure_late_in_the_transaction_rolls_everything_back(classification, agent_client):
    client = APIClient(raise_request_exception=False)
    client.credentials(**agent_client._credentials)
    body = body_for(classification, feedback="negative", correctedCategory="Account")
    # The last write, the prediction's outcome, fails in the database (a NULL where none may
    # be): the operation's update and the Feedback row are undone with it.
    failing = mock.patch(
        "feedback.services.submit.inference_log_outcome",
        return_value={"outcome": "incorrect", "true_label": None, "outcome_at": timezone.now()},
    )
    with failing:
        response = client.post(URL, body, format="json")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert_nothing_written(classification)
    assert Classification.objects.get(pk=classification.pk).was_accepted is None


def test_an_operation_deleted_after_it_was_read_is_404(classification, agent_client):
    """The read takes no lock; the operation's UPDATE finds it gone and nothing is written."""
    real = submit._operation_read

    def read_then_delete(**kwargs):
        row = real(**kwargs)
        Classification.objects.filter(pk=classification.pk).delete()
        return row

    body = body_for(classification, feedback="positive")
    with mock.patch.object(submit, "_operation_read", side_effect=read_then_delete):
        response = agent_client.post(URL, body, format="json")
    assert response.status_code == 404
    assert not Feedback.objects.exists()
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert log.outcome == "unknown"


def test_without_a_token_is_401(classification):
    response = APIClient().post(URL, body_for(classification, feedback="positive"), format="json")
    assert response.status_code == 401
    assert not Feedback.objects.exists()


def test_malformed_json_is_400(agent_client):
    response = agent_client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400
