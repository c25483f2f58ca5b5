"""Trusted labels stay trusted (issue 10, item 1): feedback never rewrites an expert's,
a reviewer's or an import's label, nor an approved one; it disputes it, for a reviewer to
settle. Untrusted examples follow their votes, weighted by source trust."""

import pytest

from aiops.models import Category, Ticket
from feedback.services import feedback_examples_apply
from tests.feedback.operations import make_classification
from training.models import TrainingExample
from training.services import content_hash

pytestmark = pytest.mark.django_db

URL = "/api/ai/feedback"


def _feedback(client, operation_id, feedback="negative", **extra):
    body = {"operationType": "classification", "operationId": operation_id, "feedback": feedback}
    response = client.post(URL, {**body, **extra}, format="json")
    assert response.status_code in (200, 201), response.json()  # 200: an update


def _classified_ticket(org, client):
    """A demo ticket the deployed model classifies as its expert label (as ticket 110 of
    `make run`'s demo org), and the classification's operation id."""
    for ticket in Ticket.objects.filter(organization=org).select_related("category")[:100]:
        body = client.post("/api/ai/classify", {"ticketId": ticket.pk}, format="json").json()
        if body["category"] == ticket.category.name:
            return ticket, body["operationId"]
    raise AssertionError("no ticket classified as its label")


def _example(org, ticket) -> TrainingExample:
    digest = content_hash(ticket.text)
    return TrainingExample.objects.get(organization=org, task="category", content_hash=digest)


def test_a_correction_disputes_an_expert_label_and_a_reviewer_settles_it(
    trained_org, agent_client, make_client
):
    ticket, operation_id = _classified_ticket(trained_org, agent_client)
    truth = ticket.category.name
    other = Category.objects.filter(organization=trained_org).exclude(name=truth).first().name
    _feedback(agent_client, operation_id, correctedCategory=other)
    assert feedback_examples_apply() == 1

    example = _example(trained_org, ticket)
    assert (example.expected_output, example.source) == (truth, "expert")
    assert example.validation_status == "approved" and example.disputed
    assert example.label_votes == {truth: 1, other: 1}
    event = example.events.first()
    assert (event.action, event.from_label, event.to_label, event.source) == (
        "disputed",
        truth,
        other,
        "user_correction",
    )
    assert event.actor == agent_client.membership.user

    reviewer = make_client(trained_org, "reviewer")
    listed = reviewer.get("/api/training-examples", {"disputed": "true"}).json()["results"]
    assert [item["id"] for item in listed] == [example.pk]
    shown = listed[0]
    assert shown["disputed"] is True and shown["expectedOutput"] == truth
    assert sorted(shown["labelVotes"], key=lambda v: v["label"]) == sorted(
        [{"label": truth, "count": 1}, {"label": other, "count": 1}], key=lambda v: v["label"]
    )
    assert {(v["label"], v["source"]) for v in shown["votes"]} == {
        (truth, "expert"),
        (other, "user_correction"),
    }

    settled = reviewer.post(
        "/api/training-examples/review",
        {"ids": [example.pk], "decision": "relabel", "label": other},
        format="json",
    )
    assert settled.status_code == 200, settled.json()
    example.refresh_from_db()
    assert (example.expected_output, example.source, example.disputed) == (
        other,
        "reviewer",
        False,
    )


def test_approving_a_disputed_example_keeps_its_label_and_ends_the_dispute(
    trained_org, agent_client, make_client
):
    ticket, operation_id = _classified_ticket(trained_org, agent_client)
    other = Category.objects.filter(organization=trained_org).exclude(pk=ticket.category_id)[0]
    _feedback(agent_client, operation_id, correctedCategory=other.name)
    feedback_examples_apply()
    example = _example(trained_org, ticket)
    assert example.disputed
    reviewer = make_client(trained_org, "reviewer")
    reviewer.post(
        "/api/training-examples/review", {"ids": [example.pk], "decision": "approve"}, format="json"
    )
    example.refresh_from_db()
    assert (example.expected_output, example.disputed) == (ticket.category.name, False)
    assert example.validation_status == "approved"


def test_withdrawing_the_disputing_vote_ends_the_dispute(trained_org, agent_client):
    ticket, operation_id = _classified_ticket(trained_org, agent_client)
    other = Category.objects.filter(organization=trained_org).exclude(pk=ticket.category_id)[0]
    _feedback(agent_client, operation_id, correctedCategory=other.name)
    feedback_examples_apply()
    _feedback(agent_client, operation_id, feedback="neutral")  # names no label any more
    feedback_examples_apply()
    example = _example(trained_org, ticket)
    assert example.label_votes == {ticket.category.name: 1}
    assert not example.disputed and example.expected_output == ticket.category.name


def test_an_untrusted_example_follows_its_votes_weighted_by_source_trust(org, make_client):
    classification = make_classification(org, category="Billing")
    first, second = make_client(org), make_client(org)
    _feedback(first, classification.pk, correctedCategory="Account")  # a correction: 0.75
    _feedback(second, classification.pk, feedback="positive")  # later, an acceptance: 0.6
    feedback_examples_apply()
    example = TrainingExample.objects.get()
    # Counted, the tie would go to the newest vote (Billing); weighed, the correction wins.
    assert example.label_votes == {"Account": 1, "Billing": 1}
    assert (example.expected_output, example.source) == ("Account", "user_correction")
    assert not example.disputed and example.validation_status == "pending"
