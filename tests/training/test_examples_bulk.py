"""training_examples_upsert: many votes in one call, applied in order, in a constant number
of statements, retried when a concurrent insert of the same text wins."""

from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from tests.factories import categories
from training import services
from training.models import TrainingExample
from training.services import ExampleVote

pytestmark = pytest.mark.django_db

TEXT = "My card has not arrived yet"


@pytest.fixture(autouse=True)
def _categories(org):
    categories(org, "card_arrival", "card_delivery", "refund")


def vote(label="card_arrival", text=TEXT, **kw) -> ExampleVote:
    kw.setdefault("source", "user_acceptance")
    return ExampleVote(task="category", text=text, label=label, **kw)


def test_votes_apply_in_order_and_return_each_votes_example(org):
    existing = services.training_example_upsert(
        organization=org,
        task="category",
        text="Where is my refund",
        label="refund",
        source="user_acceptance",
    )
    votes = [
        vote(feedback_id=1),
        vote(label="card_delivery", text=f"  {TEXT.upper()} ", feedback_id=2),
        vote(label="refund", text="Where is my refund", feedback_id=3),
        vote(label="card_delivery", feedback_id=4),
    ]
    examples = services.training_examples_upsert(organization=org, votes=votes)
    assert TrainingExample.objects.count() == 2
    new = TrainingExample.objects.exclude(pk=existing.pk).get()
    assert [ex.pk for ex in examples] == [new.pk, new.pk, existing.pk, new.pk]
    assert new.label_votes == {"card_arrival": 1, "card_delivery": 2}
    assert new.expected_output == "card_delivery"
    assert new.feedback_id == 4
    assert list(new.events.order_by("pk").values_list("action", "to_label")) == [
        ("created", "card_arrival"),
        ("merged", "card_delivery"),
        ("merged", "card_delivery"),
    ]
    existing.refresh_from_db()
    assert existing.label_votes == {"refund": 2}
    assert existing.events.count() == 2


def test_statement_count_does_not_grow_with_the_votes(org):
    def upsert(n: int, prefix: str) -> int:
        votes = [vote(text=f"{prefix} ticket number {i}", feedback_id=i) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            services.training_examples_upsert(organization=org, votes=votes)
        return len(queries)

    # 30: SQLite takes 999 parameters a statement, so Django splits an insert of 40 rows of
    # 25 columns in two (PostgreSQL's limit is 65535).
    one, many = upsert(1, "new"), upsert(30, "other")
    assert one == many
    # Merging into the examples that exist: an UPDATE instead of the insert, still constant.
    assert upsert(1, "new") == upsert(30, "other")


def test_a_lost_insert_race_is_retried_and_merges(org):
    """Another transaction inserts the same text between this call's read and its insert:
    the insert fails on the unique constraint, and the retry merges into that row."""
    real = services.examples._new_example
    calls = []

    def racing(*args, **kw):
        example = real(*args, **kw)
        if not calls:
            TrainingExample.objects.create(
                **_fields(example),
                label_votes={"refund": 1},
                operation_votes={"feedback:9": {"label": "refund", "source": "user_acceptance"}},
            )
        calls.append(example)
        return example

    with mock.patch.object(services.examples, "_new_example", side_effect=racing):
        example = services.training_examples_upsert(organization=org, votes=[vote()])[0]
    assert len(calls) == 1  # the retry found the row and merged into it
    assert TrainingExample.objects.get().pk == example.pk
    assert example.label_votes == {"refund": 1, "card_arrival": 1}


def test_it_gives_up_after_three_lost_races(org):
    failing = mock.patch.object(
        TrainingExample.objects, "bulk_create", side_effect=IntegrityError("duplicate")
    )
    with failing as bulk_create, pytest.raises(IntegrityError):
        services.training_examples_upsert(organization=org, votes=[vote()])
    assert bulk_create.call_count == services.examples.UPSERT_ATTEMPTS


def _fields(example: TrainingExample) -> dict:
    names = ("organization", "task", "content_hash", "input_text", "source")
    return {name: getattr(example, name) for name in names}


def withdraw(feedback_id: int, text=TEXT) -> ExampleVote:
    return ExampleVote(
        task="category", text=text, label="", source="", feedback_id=feedback_id, withdraw=True
    )


def test_a_withdrawal_takes_back_only_its_own_vote(org):
    services.training_examples_upsert(
        organization=org,
        votes=[vote(feedback_id=1), vote(feedback_id=2), vote("card_delivery", feedback_id=3)],
    )
    [example] = services.training_examples_upsert(organization=org, votes=[withdraw(1)])
    assert example.label_votes == {"card_arrival": 1, "card_delivery": 1}
    assert example.expected_output == "card_arrival"  # the current label keeps a tie
    assert example.operation_votes == {
        "feedback:2": {"label": "card_arrival", "source": "user_acceptance"},
        "feedback:3": {"label": "card_delivery", "source": "user_acceptance"},
    }
    [example] = services.training_examples_upsert(organization=org, votes=[withdraw(2)])
    assert example.expected_output == "card_delivery"
    assert example.events.filter(action="withdrawn").count() == 2


def test_a_withdrawal_creates_nothing_and_changes_nothing_without_a_vote(org):
    assert services.training_examples_upsert(organization=org, votes=[withdraw(1)]) == [None]
    assert not TrainingExample.objects.exists()
    services.training_examples_upsert(organization=org, votes=[vote(feedback_id=1)])
    before = TrainingExample.objects.get()
    services.training_examples_upsert(organization=org, votes=[withdraw(9)])
    after = TrainingExample.objects.get()
    assert (after.updated_at, after.label_votes) == (before.updated_at, before.label_votes)
    assert not after.events.filter(action="withdrawn").exists()


def test_a_withdrawal_leaves_a_reviewers_label(org):
    votes = [vote(feedback_id=1), vote(feedback_id=2), vote("card_delivery", feedback_id=3)]
    services.training_examples_upsert(organization=org, votes=votes)
    example = TrainingExample.objects.get()
    services.training_example_relabel(example=example, label="card_delivery")
    services.training_examples_upsert(organization=org, votes=[withdraw(3)])
    example.refresh_from_db()
    # Unreviewed, card_arrival (2 votes to the reviewer's 1) would now win; reviewed, it stays.
    assert example.label_votes == {"card_arrival": 2, "card_delivery": 1}
    assert example.expected_output == "card_delivery"


def test_withdrawing_the_last_vote_deletes_an_unreviewed_example(org):
    services.training_examples_upsert(organization=org, votes=[vote(feedback_id=1)])
    assert services.training_examples_upsert(organization=org, votes=[withdraw(1)]) == [None]
    assert not TrainingExample.objects.exists()


def test_withdrawing_the_last_vote_keeps_a_reviewed_example(org):
    [example] = services.training_examples_upsert(organization=org, votes=[vote(feedback_id=1)])
    services.training_example_approve(example=example)
    services.training_examples_upsert(organization=org, votes=[withdraw(1)])
    example.refresh_from_db()
    assert (example.label_votes, example.validation_status) == ({}, "approved")
