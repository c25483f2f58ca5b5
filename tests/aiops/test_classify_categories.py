"""Classify looks a predicted category up and never creates one from model output: a label
that is no longer a category (renamed or deleted since the model learnt it) is answered as
predicted, with no category linked."""

import pytest

from aiops.models import Category, Classification, Ticket
from feedback.models import Feedback
from models_registry.models import InferenceLog
from tests.feedback.operations import post_feedback

pytestmark = pytest.mark.django_db


def test_a_prediction_that_is_no_longer_a_category_creates_none(trained_org, agent_client, caplog):
    ticket = Ticket.objects.filter(organization=trained_org).first()
    first = agent_client.post("/api/ai/classify", {"ticketId": ticket.pk}, format="json").json()
    label = first["category"]
    assert Classification.objects.get(pk=first["operationId"]).category.name == label
    # Renamed since the model was trained: the model still predicts the old name.
    Category.objects.filter(organization=trained_org, name=label).update(name=f"{label} (old)")
    names = set(Category.objects.filter(organization=trained_org).values_list("name", flat=True))

    response = agent_client.post("/api/ai/classify", {"ticketId": ticket.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["category"] == label
    assert set(
        Category.objects.filter(organization=trained_org).values_list("name", flat=True)
    ) == (names)
    operation_id = response.json()["operationId"]
    assert Classification.objects.get(pk=operation_id).category is None
    listed = agent_client.get("/api/classifications").json()["results"]
    assert {item["operationId"]: item["category"] for item in listed}[operation_id] == label

    # Accepting it judges the prediction correct; its label cannot be a training example.
    accepted = post_feedback(
        agent_client,
        {"operationType": "classification", "operationId": operation_id, "feedback": "positive"},
    )
    assert accepted.status_code == 201, accepted.json()
    log = InferenceLog.objects.get(pk=Classification.objects.get(pk=operation_id).inference_log_id)
    assert log.outcome == "correct"
    assert not Feedback.objects.filter(training_pending=True).exists()
    assert f"Unknown category label {label!r}" in caplog.text
