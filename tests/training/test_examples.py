"""TrainingExample services: add / merge by content hash with votes, review decisions, audit."""

import pytest

from aiops.exceptions import InvalidInput, NotFound
from tests.factories import UserFactory, categories
from training import services
from training.models import TrainingExample, TrainingExampleEvent

pytestmark = pytest.mark.django_db

LABELS = ("card_arrival", "card_delivery", "pin", "other", "a")


@pytest.fixture(autouse=True)
def _categories(org):
    categories(org, *LABELS)


def _upsert(org, text="My card has not arrived yet", label="card_arrival", **kw):
    kw.setdefault("source", "user_acceptance")
    return services.training_example_upsert(
        organization=org, task="category", text=text, label=label, **kw
    )


def test_upsert_creates_with_one_vote_and_quality_parts(org):
    example = _upsert(org, operation_type="classification", operation_id=7, feedback_id=3)
    assert example.label_votes == {"card_arrival": 1}
    assert example.operation_votes == {
        "feedback:3": {"label": "card_arrival", "source": "user_acceptance"}
    }
    assert example.feedback_id == 3 and example.operation_id == 7
    assert set(example.quality_parts) == {"source", "text"}  # no agreement from one vote
    assert example.validation_status == "pending" and example.approved_at is None
    assert example.events.get().action == "created"


def test_duplicate_text_merges_and_feeds_agreement(org):
    first = _upsert(org, operation_id=1)
    again = _upsert(org, text="  my CARD has not arrived   yet ", operation_id=2)
    other = _upsert(org, label="card_delivery", operation_id=3)
    assert first.pk == again.pk == other.pk
    assert TrainingExample.objects.count() == 1
    other.refresh_from_db()
    assert other.label_votes == {"card_arrival": 2, "card_delivery": 1}
    assert other.expected_output == "card_arrival"  # the majority label
    assert other.quality_parts["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert list(other.events.values_list("action", flat=True)) == [
        "merged",
        "merged",
        "created",
    ]


def test_the_same_operation_voting_again_replaces_its_vote(org):
    _upsert(org, operation_type="classification", operation_id=1)
    example = _upsert(org, label="card_delivery", operation_type="classification", operation_id=1)
    assert example.label_votes == {"card_delivery": 1}
    assert example.expected_output == "card_delivery"


def test_each_feedback_record_votes_once(org):
    kw = {"operation_type": "classification", "operation_id": 1}
    _upsert(org, feedback_id=10, **kw)
    _upsert(org, feedback_id=11, **kw)  # another user's feedback on the same operation
    example = _upsert(org, label="card_delivery", feedback_id=10, **kw)  # the first changes
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 1}
    assert example.operation_votes == {
        "feedback:10": {"label": "card_delivery", "source": "user_acceptance"},
        "feedback:11": {"label": "card_arrival", "source": "user_acceptance"},
    }


def test_votes_weigh_by_source_trust_and_a_tie_goes_to_the_newest(org):
    _upsert(org, operation_id=1, source="user_correction")
    # Counted, the newest vote would win this tie; weighed, the correction (0.75) beats the
    # acceptance (0.6).
    example = _upsert(org, label="card_delivery", operation_id=2, source="user_acceptance")
    assert (example.expected_output, example.source) == ("card_arrival", "user_correction")
    # Two automated votes (0.3 each) are not one correction: counted, they would win 2 to 1.
    example = _upsert(org, label="pin", operation_id=3, source="automated")
    example = _upsert(org, label="pin", operation_id=4, source="automated")
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 1, "pin": 2}
    assert (example.expected_output, example.source) == ("card_arrival", "user_correction")
    # 0.75 against 0.6 + 0.3 = 0.9: now the acceptance's label leads, with its source.
    example = _upsert(org, label="card_delivery", operation_id=3, source="automated")
    assert (example.expected_output, example.source) == ("card_delivery", "user_acceptance")
    # An exact tie (0.6 + 0.3 each) goes to the newest vote.
    example = _upsert(org, label="other", operation_id=5, source="user_acceptance")
    assert example.expected_output == "card_delivery"
    example = _upsert(org, label="other", operation_id=4, source="automated")
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 2, "other": 2}
    assert example.expected_output == "other"
    assert example.quality_parts["agreement"] == pytest.approx(0.9 / 2.55, abs=1e-4)
    assert not example.disputed  # votes label an untrusted example, they do not dispute it


def test_upsert_with_approve_sets_approved_at(org):
    example = _upsert(org, approve=True)
    assert example.validation_status == "approved" and example.approved_at is not None


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"task": "nope"}, "task"),
        ({"source": "rumour"}, "source"),
        ({"text": "   "}, "text"),
        ({"label": ""}, "label"),
        ({"label": "x" * 201}, "label"),
    ],
)
def test_add_validates_input(org, kwargs, field):
    params = {"task": "category", "text": "Some text here", "label": "a", "source": "expert"}
    params.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        services.training_example_add(organization=org, **params)
    assert field in exc.value.fields


def test_add_by_hand_records_the_actor(org):
    user = UserFactory()
    example = services.training_example_add(
        organization=org,
        task="category",
        text="Please reset my PIN",
        label="pin",
        actor=user,
        notes="from the FAQ",
    )
    event = example.events.get()
    assert (event.actor, event.notes, event.source) == (user, "from the FAQ", "expert")


def test_approve_is_recorded_and_overrides_quality(org):
    user = UserFactory()
    example = _upsert(org, source="automated")
    assert example.quality_score < 1
    example = services.training_example_approve(example=example, actor=user, notes="ok")
    example.refresh_from_db()
    assert example.validation_status == "approved"
    assert (example.reviewer, example.review_notes) == (user, "ok")
    assert example.reviewed_at is not None and example.approved_at is not None
    assert example.quality_score == 1.0
    assert example.quality_parts["review"] == "approved"
    assert 0 < example.quality_parts["computed"] < 1
    event = example.events.first()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "approved",
        user,
        "pending",
        "approved",
    )


def test_reject_overrides_quality_and_clears_approval(org):
    example = _upsert(org, source="expert", approve=True)
    example = services.training_example_reject(example=example, notes="spam")
    example.refresh_from_db()
    assert example.validation_status == "rejected" and example.approved_at is None
    assert example.quality_score == 0.0 and example.review_notes == "spam"
    assert example.events.first().action == "rejected"


def test_relabel_approves_with_the_new_label_and_drops_old_noise_evidence(org):
    example = _upsert(org)
    TrainingExample.objects.filter(pk=example.pk).update(
        noise_flag=True, suggested_label="card_delivery", label_quality=0.1
    )
    example.refresh_from_db()
    example = services.training_example_relabel(example=example, label="card_delivery")
    example.refresh_from_db()
    assert example.expected_output == "card_delivery"
    assert example.validation_status == "approved" and example.source == "reviewer"
    assert (example.noise_flag, example.label_quality, example.suggested_label) == (
        False,
        None,
        "",
    )
    event = example.events.first()
    assert (event.action, event.from_label, event.to_label) == (
        "relabeled",
        "card_arrival",
        "card_delivery",
    )


def test_feedback_after_review_keeps_the_reviewers_label(org):
    example = services.training_example_relabel(example=_upsert(org), label="card_delivery")
    for op in (10, 11, 12):
        example = _upsert(org, operation_id=op)
    assert example.expected_output == "card_delivery"
    assert example.validation_status == "approved" and example.quality_score == 1.0
    assert example.disputed  # for the reviewer to settle
    # the reviewer's relabel is one vote among five, weighing 0.9 against 4 x 0.6
    assert example.label_votes == {"card_arrival": 4, "card_delivery": 1}
    assert example.quality_parts["agreement"] == pytest.approx(0.9 / 3.3, abs=1e-4)


def test_bulk_review_is_scoped_to_the_organization(org, other_org):
    categories(other_org, *LABELS)
    mine = [_upsert(org, text=f"text number {i} here") for i in range(3)]
    theirs = _upsert(other_org, text="text number 0 here")
    done = services.training_examples_review(
        organization=org, example_ids=[e.pk for e in mine], decision="approve"
    )
    assert {e.validation_status for e in done} == {"approved"}
    assert TrainingExampleEvent.objects.filter(action="approved").count() == 3
    with pytest.raises(NotFound):
        services.training_examples_review(
            organization=org, example_ids=[mine[0].pk, theirs.pk], decision="reject"
        )
    assert TrainingExample.objects.get(pk=mine[0].pk).validation_status == "approved"


def test_bulk_relabel_needs_a_label_and_a_known_decision(org):
    example = _upsert(org)
    with pytest.raises(InvalidInput):
        services.training_examples_review(
            organization=org, example_ids=[example.pk], decision="relabel"
        )
    with pytest.raises(InvalidInput):
        services.training_examples_review(
            organization=org, example_ids=[example.pk], decision="delete"
        )


def test_import_over_a_reviewed_example_keeps_the_decision(org):
    from training.importers import ParsedRow

    example = services.training_example_reject(example=_upsert(org))
    services.examples_import(
        organization=org,
        task="category",
        rows=[ParsedRow(line=1, text="My card has not arrived yet", label="other")],
        approve=True,
    )
    example.refresh_from_db()
    assert example.validation_status == "rejected"
    assert example.expected_output == "card_arrival"
    assert example.label_votes == {"card_arrival": 1, "other": 1}
    assert example.disputed  # the file disagrees with a decided example: back to review
