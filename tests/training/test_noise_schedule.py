"""Beat re-checks label noise nightly, only where examples changed since the last check."""

from unittest import mock

import pytest

from config.celery import app
from tests.factories import categories
from training import services, tasks
from training.importers import ParsedRow
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


def _import(org, task="category", n=6, approve=False):
    labels = ("negative", "positive") if task == "sentiment" else ("l0", "l1")
    if task == "category":
        categories(org, *labels)
    rows = [ParsedRow(line=i + 1, text=f"ticket text {i}", label=labels[i % 2]) for i in range(n)]
    services.examples_import(organization=org, task=task, rows=rows, approve=approve)


def test_due_until_checked_and_again_after_a_change(org, other_org):
    _import(org)
    _import(org, task="suggestion")  # not a classification task: never due
    _import(other_org, task="sentiment", approve=True)
    assert services.label_noise_check_due() == sorted(
        [(org.pk, "category"), (other_org.pk, "sentiment")]
    )
    services.label_noise_detect(organization=org, task="category", include_pending=True)
    assert services.label_noise_check_due() == [(other_org.pk, "sentiment")]
    # Another vote for the same label: the label and its noise evidence stand, but the
    # example changed (its agreement did), so it is due again.
    services.training_example_upsert(
        organization=org, task="category", text="ticket text 1", label="l1", source="expert"
    )
    voted = TrainingExample.objects.get(
        organization=org, task="category", input_text="ticket text 1"
    )
    assert voted.noise_checked_at is not None
    assert (org.pk, "category") in services.label_noise_check_due()


def test_rejected_examples_are_not_due(org):
    _import(org)
    TrainingExample.objects.update(validation_status="rejected")
    assert services.label_noise_check_due() == []


def test_the_beat_task_queues_one_check_per_due_task(org, other_org):
    _import(org)
    _import(other_org)
    with mock.patch.object(tasks.label_noise_detect_task, "delay") as delay:
        assert tasks.label_noise_check() == 2
    assert sorted(call.args for call in delay.call_args_list) == sorted(
        [(org.pk, "category"), (other_org.pk, "category")]
    )
    assert all(call.kwargs == {"include_pending": True} for call in delay.call_args_list)


def test_the_queued_check_covers_pending_examples(org):
    _import(org)  # pending, not approved
    tasks.label_noise_check()  # eager in tests: runs the detection
    assert not TrainingExample.objects.filter(noise_checked_at=None).exists()
    assert services.label_noise_check_due() == []


def test_beat_runs_it_nightly():
    entry = app.conf.beat_schedule["label-noise"]
    assert entry["task"] == tasks.label_noise_check.name
    assert entry["schedule"].hour == {3}
