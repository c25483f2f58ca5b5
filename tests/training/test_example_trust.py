"""Who labels a training example and who only votes on it: trusted labels (approved, decided
by a reviewer, or from an expert, a reviewer or an import) are disputed, never outvoted;
imports replace what an earlier import set only when nobody else stands behind it."""

import pytest

from tests.factories import UserFactory, categories
from training import services
from training.importers import ParsedRow
from training.models import TrainingExample
from training.selectors import training_example_review_queue

pytestmark = pytest.mark.django_db

TEXT = "My card has not arrived yet"


@pytest.fixture(autouse=True)
def _categories(org):
    categories(org, "card_arrival", "card_delivery", "refund")


def _vote(org, label, text=TEXT, **kw):
    kw.setdefault("source", "user_correction")
    return services.training_example_upsert(
        organization=org, task="category", text=text, label=label, **kw
    )


def _import(org, label, text=TEXT, approve=False):
    row = ParsedRow(line=1, text=text, label=label)
    services.examples_import(organization=org, task="category", rows=[row], approve=approve)
    return TrainingExample.objects.get(organization=org, input_text=text)


def test_an_expert_label_is_never_outvoted_only_disputed(org):
    expert = UserFactory()
    _vote(org, "card_arrival", source="expert", actor=expert)  # pending: trusted by its source
    for operation_id in (1, 2, 3):
        example = _vote(
            org, "card_delivery", operation_type="classification", operation_id=operation_id
        )
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 3}
    assert (example.expected_output, example.source) == ("card_arrival", "expert")
    assert example.validation_status == "pending" and example.disputed
    assert list(example.events.values_list("action", flat=True)) == [
        "disputed",
        "disputed",
        "disputed",
        "created",
    ]
    # An agreeing vote raises the agreement only.
    before = example.quality_parts["agreement"]
    example = _vote(org, "card_arrival", operation_type="classification", operation_id=4)
    assert example.quality_parts["agreement"] > before
    assert example.expected_output == "card_arrival" and example.events.first().action == "merged"


def test_an_expert_labels_an_example_feedback_voted_for(org):
    _vote(org, "card_arrival", source="user_acceptance", operation_type="c", operation_id=1)
    _vote(org, "card_arrival", source="user_acceptance", operation_type="c", operation_id=2)
    # 2 x 0.6 outweighs 1.0, but an expert labels; it does not vote.
    example = _vote(org, "card_delivery", source="expert")
    assert (example.expected_output, example.source, example.disputed) == (
        "card_delivery",
        "expert",
        False,
    )
    assert _vote(org, "card_arrival", source="user_acceptance").disputed  # now it is trusted


def test_a_reimport_replaces_what_the_earlier_import_set(org):
    first = _import(org, "card_arrival", approve=True)
    assert first.validation_status == "approved" and first.source == "import"
    example = _import(org, "card_delivery")  # nobody else stands behind card_arrival
    assert example.pk == first.pk
    assert (example.expected_output, example.validation_status) == ("card_delivery", "pending")
    assert example.label_votes == {"card_delivery": 1} and not example.disputed
    # The same label again, without --approve, leaves an approved example approved.
    services.training_example_approve(example=example)
    assert _import(org, "card_delivery").validation_status == "approved"


def test_a_reimport_disputes_a_label_a_reviewer_approved(org):
    services.training_example_approve(example=_import(org, "card_arrival"))
    example = _import(org, "card_delivery", approve=True)
    assert (example.expected_output, example.disputed) == ("card_arrival", True)
    assert example.events.first().action == "disputed"


def test_a_reimport_disputes_a_label_another_trusted_vote_stands_behind(org):
    _import(org, "card_arrival")
    _vote(org, "card_arrival", source="expert", actor=UserFactory())
    example = _import(org, "card_delivery")
    assert (example.expected_output, example.source, example.disputed) == (
        "card_arrival",
        "import",
        True,
    )


def test_feedback_that_agreed_with_an_import_does_not_hold_it_back(org):
    _import(org, "card_arrival")
    _vote(org, "card_arrival", source="user_acceptance", operation_type="c", operation_id=1)
    example = _import(org, "card_delivery")
    assert example.expected_output == "card_delivery"
    # Only a vote that cannot change a trusted label disputes it; the agent's stays visible.
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 1}
    assert not example.disputed


def test_disputed_examples_head_the_review_queue(org):
    plain = _import(org, "card_arrival", text="plain example text")
    noisy = _import(org, "card_arrival", text="noisy example text")
    TrainingExample.objects.filter(pk=noisy.pk).update(noise_flag=True, label_quality=0.01)
    disputed = _import(org, "card_arrival", text="disputed example text")
    _vote(org, "refund", text="disputed example text")
    rejected = _import(org, "card_arrival", text="rejected example text")
    services.training_example_reject(example=rejected)
    rejected_disputed = _import(org, "card_arrival", text="rejected then disputed")
    services.training_example_reject(example=rejected_disputed)
    _vote(org, "refund", text="rejected then disputed")
    queue = list(training_example_review_queue(organization=org).values_list("pk", flat=True))
    # A disputed rejected example is back in the queue; a plain rejected one is not.
    assert set(queue[:2]) == {disputed.pk, rejected_disputed.pk}
    assert queue[2:] == [noisy.pk, plain.pk]


def test_the_admin_shows_the_dispute_and_the_votes(org, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    example = _import(org, "card_arrival")
    _vote(org, "refund", feedback_id=41)
    page = client.get(f"/admin/training/trainingexample/{example.pk}/change/").content.decode()
    assert "Disputed" in page
    assert "feedback:41: refund (user_correction)" in page
    assert "import:: card_arrival (import)" in page
    listed = client.get("/admin/training/trainingexample/", {"disputed__exact": "1"})
    assert [obj.pk for obj in listed.context["cl"].result_list] == [example.pk]
