"""The examples sweep: a submission marks its Feedback row, queues one sweep on commit, and the
sweep turns pending rows into training-example votes, once per version of each row."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from aiops.models import Category
from config.celery import app
from feedback import tasks
from feedback.models import Feedback
from feedback.services import feedback_examples_apply
from tests.feedback.operations import make_classification, make_sentiment
from training.models import TrainingExample

pytestmark = pytest.mark.django_db

URL = "/api/ai/feedback"


def body(operation, feedback="positive", **extra):
    return {
        "operationType": "classification",
        "operationId": operation.pk,
        "feedback": feedback,
        **extra,
    }


def test_the_sweep_applies_a_pending_row_once(classification, agent_client):
    response = agent_client.post(URL, body(classification), format="json")  # no commit hooks
    assert response.json()["trainingExampleQueued"] is True
    assert Feedback.objects.get().training_pending is True
    assert not TrainingExample.objects.exists()

    assert feedback_examples_apply() == 1
    example = TrainingExample.objects.get()
    assert (example.expected_output, example.label_votes) == ("Billing", {"Billing": 1})
    assert example.feedback_id == Feedback.objects.get().pk
    assert Feedback.objects.get().training_pending is False
    assert feedback_examples_apply() == 0
    example.refresh_from_db()
    assert example.label_votes == {"Billing": 1}


def test_a_changed_feedback_replaces_its_vote(classification, agent_client):
    agent_client.post(URL, body(classification), format="json")
    feedback_examples_apply()
    correction = body(classification, "negative", correctedCategory="Account")
    agent_client.post(URL, correction, format="json")
    assert Feedback.objects.get().training_pending is True
    assert feedback_examples_apply() == 1
    example = TrainingExample.objects.get()
    assert (example.expected_output, example.label_votes) == ("Account", {"Account": 1})
    assert example.source == "user_correction"


def test_feedback_without_a_label_casts_no_vote(classification, agent_client):
    response = agent_client.post(URL, body(classification, "neutral"), format="json")
    assert response.json()["trainingExampleQueued"] is False
    assert feedback_examples_apply() == 1  # checked for a vote to take back: none
    assert not TrainingExample.objects.exists()


def test_a_feedback_that_drops_its_label_takes_its_vote_back(classification, make_client, org):
    first, second = make_client(org), make_client(org)
    first.post(URL, body(classification, "negative", correctedCategory="Account"), format="json")
    correction = body(classification, "negative", correctedCategory="Technical Issue")
    second.post(URL, correction, format="json")
    feedback_examples_apply()
    example = TrainingExample.objects.get()
    assert example.label_votes == {"Account": 1, "Technical Issue": 1}
    assert example.expected_output == "Technical Issue"  # the tie went to the newest

    second.post(URL, body(classification, "neutral"), format="json")  # no label any more
    assert feedback_examples_apply() == 1
    example.refresh_from_db()
    assert example.label_votes == {"Account": 1}
    assert example.expected_output == "Account"
    withdrawn = example.events.get(action="withdrawn")
    assert (withdrawn.from_label, withdrawn.to_label) == ("Technical Issue", "Account")
    assert withdrawn.actor == second.membership.user


def test_a_label_dropped_after_the_sweep_ends_like_one_dropped_before(classification, agent_client):
    agent_client.post(URL, body(classification), format="json")
    feedback_examples_apply()
    assert TrainingExample.objects.exists()
    agent_client.post(URL, body(classification, "neutral"), format="json")
    feedback_examples_apply()
    assert not TrainingExample.objects.exists()  # its only vote was withdrawn


def test_a_label_dropped_before_the_sweep_never_votes(classification, agent_client):
    agent_client.post(URL, body(classification), format="json")
    agent_client.post(URL, body(classification, "negative"), format="json")  # no correction
    assert feedback_examples_apply() == 1
    assert not TrainingExample.objects.exists()


def test_it_works_through_every_row_in_batches(org, agent_client):
    operations = [make_classification(org, text=f"Ticket {i}: my card is lost") for i in range(5)]
    operations.append(make_sentiment(org))
    for operation in operations[:5]:
        agent_client.post(URL, body(operation), format="json")
    sentiment = {"operationType": "sentiment", "operationId": operations[5].pk}
    agent_client.post(URL, {**sentiment, "feedback": "positive"}, format="json")
    assert feedback_examples_apply(batch=2) == 6
    assert TrainingExample.objects.filter(task="category").count() == 5
    assert TrainingExample.objects.get(task="sentiment").expected_output == "neutral"
    assert not Feedback.objects.filter(training_pending=True).exists()


def test_statements_per_batch_do_not_grow_with_the_rows(org, agent_client):
    def sweep_of(n: int, prefix: str) -> int:
        for i in range(n):
            operation = make_classification(org, text=f"{prefix} ticket {i}")
            agent_client.post(URL, body(operation), format="json")
        with CaptureQueriesContext(connection) as queries:
            assert feedback_examples_apply() == n
        return len(queries)

    assert sweep_of(1, "first") == sweep_of(12, "second")


def test_a_failing_sweep_leaves_the_rows_pending(classification, agent_client):
    agent_client.post(URL, body(classification), format="json")
    with (
        mock.patch(
            "feedback.services.examples.training_examples_upsert", side_effect=RuntimeError("x")
        ),
        pytest.raises(RuntimeError),
    ):
        feedback_examples_apply()
    assert Feedback.objects.get().training_pending is True
    assert feedback_examples_apply() == 1
    assert TrainingExample.objects.count() == 1


def test_a_deleted_operation_is_cleared_without_a_vote(classification, agent_client):
    agent_client.post(URL, body(classification), format="json")
    classification.delete()
    assert feedback_examples_apply() == 1
    assert not TrainingExample.objects.exists()
    assert Feedback.objects.get().training_pending is False


def test_one_sweep_is_queued_while_the_mark_stands(org, agent_client, monkeypatch):
    monkeypatch.setattr(tasks, "QUEUED_SECONDS", 60)  # no expiry mid-test on a slow machine
    operations = [make_classification(org, text=f"Ticket {i}") for i in range(3)]
    with mock.patch.object(tasks.feedback_examples_apply_task, "apply_async") as queue:
        for operation in operations[:2]:
            with TestCase.captureOnCommitCallbacks(execute=True):
                agent_client.post(URL, body(operation), format="json")
        queue.assert_called_once_with(
            countdown=tasks.SWEEP_DELAY_SECONDS, expires=tasks.SWEEP_EXPIRES_SECONDS
        )
        cache.delete(tasks.QUEUED_KEY)  # the mark expires
        with TestCase.captureOnCommitCallbacks(execute=True):
            agent_client.post(URL, body(operations[2]), format="json")
        assert queue.call_count == 2
    assert tasks.feedback_examples_apply_task() == 3


def test_the_sweep_starts_after_the_mark_expires():
    """Rows committed while the mark stood queued nothing: the sweep must read after them."""
    assert tasks.QUEUED_SECONDS < tasks.SWEEP_DELAY_SECONDS


def test_a_row_that_cannot_be_an_example_does_not_stall_the_others(org, agent_client, caplog):
    blank = make_classification(org, text="   ")
    good = make_classification(org, text="My card was charged twice")
    agent_client.post(URL, body(blank), format="json")
    agent_client.post(URL, body(good), format="json")
    assert feedback_examples_apply() == 2
    assert TrainingExample.objects.get().input_text == "My card was charged twice"
    assert not Feedback.objects.filter(training_pending=True).exists()
    assert "cannot become a training example" in caplog.text


def test_ties_within_one_sweep_go_to_the_latest_post(classification, make_client, org):
    first, second = make_client(org), make_client(org)
    first.post(URL, body(classification), format="json")  # the lower Feedback id
    second.post(URL, body(classification, "negative", correctedCategory="Account"), format="json")
    correction = body(classification, "negative", correctedCategory="Technical Issue")
    first.post(URL, correction, format="json")  # posted last
    assert feedback_examples_apply() == 2
    example = TrainingExample.objects.get()
    assert example.label_votes == {"Account": 1, "Technical Issue": 1}
    assert example.expected_output == "Technical Issue"


def test_beat_runs_the_sweep_every_minute():
    entry = app.conf.beat_schedule["feedback-examples"]
    assert entry["task"] == tasks.feedback_examples_apply_task.name
    assert entry["schedule"].minute == set(range(60))


def test_a_vote_for_a_label_no_longer_valid_is_skipped(org, agent_client, caplog):
    renamed = make_classification(org, text="Please close my account")
    good = make_classification(org, text="My card was charged twice")
    agent_client.post(URL, body(renamed, "negative", correctedCategory="Account"), format="json")
    agent_client.post(URL, body(good), format="json")
    Category.objects.filter(organization=org, name="Account").update(name="Accounts")
    assert feedback_examples_apply() == 2
    assert TrainingExample.objects.get().input_text == "My card was charged twice"
    assert not Feedback.objects.filter(training_pending=True).exists()
    assert "Unknown category label 'Account'" in caplog.text
