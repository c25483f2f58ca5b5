"""POST /api/ai/feedback: the operation row, the Feedback row, the inference log's outcome and
the training example, for each operation type."""

import pytest

from feedback.models import Feedback
from models_registry.models import InferenceLog
from tests.feedback.operations import post_feedback
from training.models import TrainingExample

pytestmark = pytest.mark.django_db

URL = "/api/ai/feedback"


def post(client, body):
    return post_feedback(client, body)


def test_seed_body_corrects_a_classification(classification, agent_client):
    response = post(
        agent_client,
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "negative",
            "correctedCategory": "Technical Issue",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["feedback"]["operationId"] == classification.pk
    assert body["feedback"]["correctedCategory"] == "Technical Issue"
    assert body["feedback"]["modelVersion"] == "v1.0.0"
    assert body["feedback"]["arm"] == "B"

    classification.refresh_from_db()
    assert classification.was_accepted is False
    assert classification.corrected_category.name == "Technical Issue"

    record = Feedback.objects.get()
    assert record.user == agent_client.membership.user
    assert (record.operation_type, record.operation_id) == ("classification", classification.pk)
    assert record.model_version_id == classification.model_version_id
    assert record.arm == "B"

    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == ("incorrect", "Technical Issue")
    assert log.outcome_at is not None

    example = TrainingExample.objects.get()
    assert body["trainingExampleQueued"] is True
    assert (example.task, example.expected_output) == ("category", "Technical Issue")
    assert example.input_text == classification.input_text
    assert example.source == "user_correction"
    assert (example.operation_type, example.operation_id) == ("classification", classification.pk)
    assert example.feedback_id == record.pk
    assert example.label_votes == {"Technical Issue": 1}
    assert example.events.get().actor == agent_client.membership.user


def test_positive_classification_accepts_the_prediction(classification, agent_client):
    body = {"operationType": "classification", "operationId": classification.pk}
    response = post(agent_client, {**body, "feedback": "positive", "comment": "spot on"})
    assert response.status_code == 201
    classification.refresh_from_db()
    assert classification.was_accepted is True
    assert classification.corrected_category is None
    assert classification.feedback_comment == "spot on"
    assert Feedback.objects.get().comment == "spot on"
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == ("correct", "Billing")
    example = TrainingExample.objects.get()
    assert (example.expected_output, example.source) == ("Billing", "user_acceptance")


def test_neutral_correction_to_the_predicted_category_counts_as_correct(
    classification, agent_client
):
    response = post(
        agent_client,
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "neutral",
            "correctedCategory": "Billing",
        },
    )
    assert response.status_code == 201
    classification.refresh_from_db()
    assert classification.was_accepted is True and classification.corrected_category is None
    assert InferenceLog.objects.get(pk=classification.inference_log_id).outcome == "correct"


@pytest.mark.parametrize(
    ("value", "outcome", "accepted"),
    [("negative", "incorrect", False), ("neutral", "unknown", None)],
)
def test_feedback_without_a_label_writes_no_example(
    classification, agent_client, value, outcome, accepted
):
    body = {"operationType": "classification", "operationId": classification.pk, "feedback": value}
    assert post(agent_client, body).status_code == 201
    classification.refresh_from_db()
    assert classification.was_accepted is accepted
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == (outcome, "")
    assert Feedback.objects.get().feedback == value
    assert not TrainingExample.objects.exists()


def test_posting_again_updates_and_never_duplicates(classification, agent_client):
    body = {"operationType": "classification", "operationId": classification.pk}
    first = post(agent_client, {**body, "feedback": "negative", "correctedCategory": "Account"})
    second = post(agent_client, {**body, "feedback": "positive"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert second.json()["feedback"]["feedbackId"] == first.json()["feedback"]["feedbackId"]
    record = Feedback.objects.get()
    assert (record.feedback, record.corrected_category) == ("positive", "")
    classification.refresh_from_db()
    assert classification.was_accepted is True and classification.corrected_category is None
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == ("correct", "Billing")
    example = TrainingExample.objects.get()
    assert example.expected_output == "Billing"
    assert example.label_votes == {"Billing": 1}  # the operation's vote was replaced


def test_each_user_has_own_feedback_row_on_one_operation(classification, make_client, org):
    body = {"operationType": "classification", "operationId": classification.pk}
    one, two = make_client(org, "agent"), make_client(org, "reviewer")
    assert post(one, {**body, "feedback": "positive"}).status_code == 201
    assert post(two, {**body, "feedback": "positive"}).status_code == 201
    assert Feedback.objects.count() == 2
    assert TrainingExample.objects.count() == 1


def test_sentiment_correction_and_acceptance(sentiment, agent_client):
    body = {"operationType": "sentiment", "operationId": sentiment.pk}
    response = post(
        agent_client, {**body, "feedback": "negative", "correctedSentiment": "negative"}
    )
    assert response.status_code == 201
    sentiment.refresh_from_db()
    assert (sentiment.was_accepted, sentiment.corrected_sentiment) == (False, "negative")
    log = InferenceLog.objects.get(pk=sentiment.inference_log_id)
    assert (log.outcome, log.true_label) == ("incorrect", "negative")
    example = TrainingExample.objects.get()
    assert (example.task, example.expected_output, example.source) == (
        "sentiment",
        "negative",
        "user_correction",
    )

    assert post(agent_client, {**body, "feedback": "positive"}).status_code == 200
    sentiment.refresh_from_db()
    assert (sentiment.was_accepted, sentiment.corrected_sentiment) == (True, "")
    assert InferenceLog.objects.get(pk=sentiment.inference_log_id).outcome == "correct"
    assert TrainingExample.objects.get().expected_output == "neutral"


def test_used_suggestion_becomes_a_suggestion_example(suggestion, agent_client):
    response = post(
        agent_client,
        {
            "operationType": "suggestion",
            "operationId": suggestion.pk,
            "feedback": "positive",
            "wasUsed": True,
        },
    )
    assert response.status_code == 201
    suggestion.refresh_from_db()
    assert (suggestion.was_used, suggestion.was_helpful) == (True, True)
    log = InferenceLog.objects.get(pk=suggestion.inference_log_id)
    assert (log.outcome, log.true_label) == ("correct", "ticket:42")
    example = TrainingExample.objects.get()
    assert (example.task, example.input_text, example.expected_output) == (
        "suggestion",
        suggestion.input_text,
        suggestion.content,
    )
    assert example.source == "user_acceptance"
    record = Feedback.objects.get()
    assert (record.was_used, record.was_helpful) == (True, None)


@pytest.mark.parametrize(
    ("extra", "used", "helpful", "outcome", "examples"),
    [
        ({"feedback": "negative"}, None, False, "incorrect", 0),
        ({"feedback": "neutral", "wasUsed": True}, True, None, "correct", 1),
        ({"feedback": "neutral", "wasHelpful": True}, None, True, "correct", 1),
        ({"feedback": "neutral", "wasUsed": False}, False, None, "unknown", 0),
        ({"feedback": "negative", "wasUsed": True}, True, False, "incorrect", 0),
    ],
)
def test_suggestion_outcome_rules(
    suggestion, agent_client, extra, used, helpful, outcome, examples
):
    body = {"operationType": "suggestion", "operationId": suggestion.pk, **extra}
    assert post(agent_client, body).status_code == 201
    suggestion.refresh_from_db()
    assert (suggestion.was_used, suggestion.was_helpful) == (used, helpful)
    assert InferenceLog.objects.get(pk=suggestion.inference_log_id).outcome == outcome
    assert TrainingExample.objects.count() == examples


def test_null_optional_fields_are_treated_as_absent(classification, agent_client):
    response = post(
        agent_client,
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "positive",
            "correctedCategory": None,
            "wasUsed": None,
            "comment": None,
        },
    )
    assert response.status_code == 201, response.json()


def test_a_suggestion_too_long_for_a_label_is_judged_but_not_an_example(suggestion, agent_client):
    from training.importers import MAX_LABEL_LENGTH

    suggestion.content = "Reinstall the app. " * (MAX_LABEL_LENGTH // 10)
    suggestion.save()
    body = {"operationType": "suggestion", "operationId": suggestion.pk, "feedback": "positive"}
    assert post(agent_client, body).status_code == 201
    assert InferenceLog.objects.get(pk=suggestion.inference_log_id).outcome == "correct"
    assert not TrainingExample.objects.exists()


def test_corrected_category_matches_case_insensitively_and_stores_its_name(
    classification, agent_client
):
    response = post(
        agent_client,
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "negative",
            "correctedCategory": "technical ISSUE",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["feedback"]["correctedCategory"] == "Technical Issue"
    classification.refresh_from_db()
    assert classification.corrected_category.name == "Technical Issue"
    assert Feedback.objects.get().corrected_category == "Technical Issue"
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == ("incorrect", "Technical Issue")
    assert TrainingExample.objects.get().label_votes == {"Technical Issue": 1}


def test_corrected_category_in_another_case_of_the_prediction_accepts_it(
    classification, agent_client
):
    """A correction "billing" names "Billing", the predicted category: a negative feedback
    naming it is refused, a neutral one judges the prediction correct."""
    body = {"operationType": "classification", "operationId": classification.pk}
    same = post(agent_client, {**body, "feedback": "negative", "correctedCategory": "billing"})
    assert same.status_code == 400, same.json()
    assert "'Billing' is the predicted label" in same.json()["message"]
    neutral = post(agent_client, {**body, "feedback": "neutral", "correctedCategory": "billing"})
    assert neutral.status_code == 201, neutral.json()
    assert neutral.json()["feedback"]["correctedCategory"] == "Billing"
    log = InferenceLog.objects.get(pk=classification.inference_log_id)
    assert (log.outcome, log.true_label) == ("correct", "Billing")


def test_an_exact_category_name_wins_over_another_case(org, classification, agent_client):
    from aiops.models import Category

    Category.objects.create(organization=org, name="ACCOUNT")
    response = post(
        agent_client,
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "negative",
            "correctedCategory": "ACCOUNT",
        },
    )
    assert response.status_code == 201, response.json()
    classification.refresh_from_db()
    assert classification.corrected_category.name == "ACCOUNT"
