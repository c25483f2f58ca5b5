"""The loop through the real operations: classify / sentiment / suggest, then feedback, then
statistics; and the read-only admin history."""

import pytest
from django.contrib.auth import get_user_model

from aiops.models import Category, Ticket
from feedback.models import Feedback
from models_registry.models import InferenceLog
from tests.feedback.operations import post_feedback
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


def test_feedback_on_real_operations_feeds_accuracy_and_training(trained_org, agent_client):
    ticket = Ticket.objects.filter(organization=trained_org).first()
    ops = {
        kind: agent_client.post(f"/api/ai/{kind}", {"ticketId": ticket.pk}, format="json").json()
        for kind in ("classify", "sentiment", "suggest")
    }
    predicted = ops["classify"]["category"]
    other = Category.objects.filter(organization=trained_org).exclude(name=predicted).first()
    posts = [
        {
            "operationType": "classification",
            "operationId": ops["classify"]["operationId"],
            "feedback": "negative",
            "correctedCategory": other.name,
        },
        {
            "operationType": "sentiment",
            "operationId": ops["sentiment"]["operationId"],
            "feedback": "positive",
        },
        {
            "operationType": "suggestion",
            "operationId": ops["suggest"]["operationId"],
            "feedback": "positive",
            "wasUsed": True,
            "wasHelpful": True,
        },
    ]
    for body in posts:
        response = post_feedback(agent_client, body)
        assert response.status_code == 201, response.json()
    outcomes = dict(
        InferenceLog.objects.filter(organization=trained_org).values_list("task", "outcome")
    )
    assert outcomes == {"category": "incorrect", "sentiment": "correct", "suggestion": "correct"}
    examples = {
        example.task: example
        for example in TrainingExample.objects.filter(
            organization=trained_org,
            operation_type__in=["classification", "sentiment", "suggestion"],
        )
    }
    # The ticket's category and sentiment examples are the expert's (the demo import): a vote
    # never relabels them, one that disagrees disputes them.
    voted = {"category": other.name, "sentiment": ops["sentiment"]["sentiment"]}
    truth = {"category": ticket.category.name, "sentiment": ticket.sentiment}
    for task in ("category", "sentiment"):
        example = examples[task]
        assert (example.expected_output, example.source) == (truth[task], "expert")
        assert example.disputed == (voted[task] != truth[task])
        assert {v["label"] for v in example.operation_votes.values()} == {truth[task], voted[task]}
    assert examples["suggestion"].expected_output == ops["suggest"]["suggestion"]

    stats = agent_client.get("/api/ai/feedback").json()
    assert stats["totals"]["total"] == 3
    assert stats["totals"]["acceptanceRate"] == 0.0
    assert stats["accuracy"]["sentiment"]["accuracy"] == 1.0
    assert {r["modelVersion"] for r in stats["byModelVersion"]} == {"v1.0.0"}


def test_admin_history_is_read_only(classification, client, agent_client):
    agent_client.post(
        "/api/ai/feedback",
        {
            "operationType": "classification",
            "operationId": classification.pk,
            "feedback": "positive",
        },
        format="json",
    )
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    record = Feedback.objects.get()
    assert client.get("/admin/feedback/feedback/").status_code == 200
    assert client.get(f"/admin/feedback/feedback/{record.pk}/change/").status_code == 200
    assert client.get("/admin/feedback/feedback/add/").status_code == 403
    assert client.post(f"/admin/feedback/feedback/{record.pk}/delete/").status_code == 403
