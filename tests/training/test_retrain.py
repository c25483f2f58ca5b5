"""Retrain policies and triggers: every reason and none, the beat check, the lock, one run."""

import itertools
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from models_registry.models import InferenceLog, ModelVersion
from models_registry.selectors import accuracy
from tests.factories import OrganizationFactory
from training import selectors, services
from training.models import RetrainPolicy, TrainingExample, TrainingRun
from training.services import runs as run_services
from training.tasks import retrain_check as retrain_check_task
from training.triggers import RetrainFacts, should_retrain

pytestmark = pytest.mark.django_db
NOW = timezone.now()
_hashes = itertools.count()


def facts(**kw):
    base = {"last_run_at": NOW - timedelta(hours=1), "busy": False, "new_examples": 0}
    return RetrainFacts(**{**base, "correct": 0, "incorrect": 0, **kw})


def triggers(policy=None, **kw):
    policy = policy or RetrainPolicy()
    return [r.trigger for r in should_retrain(policy=policy, facts=facts(**kw), now=NOW)]


# --- should_retrain (pure) -------------------------------------------------------------


def test_no_reason():
    assert triggers() == []
    assert triggers(correct=96, incorrect=4, new_examples=999) == []


def test_accuracy_below_threshold():
    assert triggers(correct=90, incorrect=10) == ["accuracy"]


def test_accuracy_needs_enough_judged_predictions():
    assert triggers(correct=1, incorrect=9) == []  # 10 < accuracy_min_samples (50)
    assert triggers(RetrainPolicy(accuracy_min_samples=10), correct=1, incorrect=9) == ["accuracy"]


def test_data_volume():
    assert triggers(new_examples=1000) == ["data_volume"]


def test_schedule_needs_elapsed_interval_and_new_data():
    day_ago = NOW - timedelta(hours=24)
    assert triggers(last_run_at=day_ago, new_examples=1) == ["schedule"]
    assert triggers(last_run_at=day_ago, new_examples=0) == []
    assert triggers(last_run_at=NOW - timedelta(hours=23), new_examples=5) == []
    assert triggers(last_run_at=None, new_examples=10) == ["schedule"]
    assert triggers(last_run_at=None, new_examples=9) == []  # too few for a first run


def test_every_reason_that_holds_is_returned_most_urgent_first():
    reasons = should_retrain(
        policy=RetrainPolicy(),
        facts=facts(last_run_at=None, new_examples=1500, correct=80, incorrect=20),
        now=NOW,
    )
    assert [r.trigger for r in reasons] == ["accuracy", "data_volume", "schedule"]
    assert reasons[0].values == {"accuracy": 0.8, "judged": 100, "threshold": 0.95}
    assert "1500 new validated examples" in reasons[1].message


# --- facts from the database -------------------------------------------------------------


def _examples(org, n, *, task="category", approved_at=None, status="approved"):
    objs = [
        TrainingExample(
            organization=org,
            task=task,
            input_text=f"text {i}",
            expected_output="a" if i % 2 else "b",
            source="import",
            content_hash=f"h{next(_hashes)}",
            validation_status=status,
            approved_at=approved_at or NOW,
        )
        for i in range(n)
    ]
    TrainingExample.objects.bulk_create(objs)


def _logs(org, *, correct, incorrect, unknown=0, task="category"):
    version, _ = ModelVersion.objects.get_or_create(
        organization=org, task=task, major=1, minor=0, patch=0
    )
    outcomes = ["correct"] * correct + ["incorrect"] * incorrect + ["unknown"] * unknown
    InferenceLog.objects.bulk_create(
        InferenceLog(organization=org, task=task, model_version=version, latency_ms=1, outcome=o)
        for o in outcomes
    )


def _run(org, *, status="succeeded", hours_ago=1.0, task="category"):
    run = TrainingRun.objects.create(organization=org, task=task, status=status)
    TrainingRun.objects.filter(pk=run.pk).update(created_at=NOW - timedelta(hours=hours_ago))
    return run


def test_batch_facts_match_the_one_org_facts_and_the_accuracy_selector(org, other_org):
    _run(org, hours_ago=2)
    _examples(org, 7, approved_at=NOW - timedelta(hours=1))
    _examples(org, 3, approved_at=NOW - timedelta(hours=5), status="approved")
    _logs(org, correct=40, incorrect=20, unknown=5)
    _logs(other_org, correct=3, incorrect=1)
    batch = selectors.retrain_facts_all(now=NOW)
    for organization in (org, other_org):
        policy, batch_facts = batch[(organization.pk, "category")]
        one = selectors.retrain_facts(
            organization=organization, task="category", policy=policy, now=NOW
        )
        assert batch_facts == one
    mine = batch[(org.pk, "category")][1]
    assert mine.new_examples == 7  # the 3 approved before the last run are not new
    selected = accuracy(logs=InferenceLog.objects.filter(organization=org))
    assert (mine.correct, mine.judged, mine.accuracy) == (
        selected.correct,
        selected.judged,
        selected.accuracy,
    )


def test_accuracy_counts_only_predictions_after_the_last_run(org):
    _logs(org, correct=10, incorrect=90)
    now = timezone.now()
    run = _run(org)
    TrainingRun.objects.filter(pk=run.pk).update(created_at=now)  # after those predictions
    _logs(org, correct=1, incorrect=2)
    later = timezone.now() + timedelta(seconds=1)
    policy, found = selectors.retrain_facts_all(now=later)[(org.pk, "category")]
    assert (found.correct, found.incorrect) == (1, 2)
    one = selectors.retrain_facts(organization=org, task="category", policy=policy, now=later)
    assert one == found


def test_disabled_policy_is_left_out_of_the_beat_check(org):
    _examples(org, 1200)
    services.retrain_policy_update(organization=org, task="category", enabled=False)
    assert (org.pk, "category") not in selectors.retrain_facts_all(now=NOW)


def test_batch_facts_cost_a_fixed_number_of_queries(django_assert_num_queries):
    for _ in range(6):
        organization = OrganizationFactory()
        _examples(organization, 3)
        _logs(organization, correct=5, incorrect=5)
        _run(organization)
    RetrainPolicy.objects.create(organization=organization, task="category", interval_hours=2)
    with django_assert_num_queries(4):  # policies, runs, new examples, one window length
        found = selectors.retrain_facts_all(now=NOW)
    assert len(found) == 6


# --- the beat check ------------------------------------------------------------------------


def test_check_queues_one_run_per_pair_with_a_reason(org, other_org):
    _examples(org, 1000)
    _examples(other_org, 1000, task="priority")
    _examples(other_org, 5)
    _run(other_org, hours_ago=1)  # other_org/category: 5 new examples, 1 h: no reason
    _examples(other_org, 2, approved_at=NOW - timedelta(hours=2), task="sentiment")
    result = services.retrain_check(now=NOW, enqueue=False)
    assert result.locked
    queued = {(r.organization_id, r.task): r for r in result.runs}
    assert set(queued) == {(org.pk, "category"), (other_org.pk, "priority")}
    run = queued[(org.pk, "category")]
    assert run.status == "queued" and run.trigger == "data_volume"
    assert [r["trigger"] for r in run.params["reasons"]] == ["data_volume", "schedule"]
    assert run.params["estimator"] == "fast"
    # checked again: no new data since those runs, nothing more is queued
    assert services.retrain_check(now=NOW, enqueue=False).decisions == []
    assert TrainingRun.objects.count() == 3


def test_check_skips_a_pair_with_a_run_in_progress(org):
    _run(org, status="running", hours_ago=30)
    _examples(org, 1000)
    result = services.retrain_check(now=NOW, enqueue=False)
    assert [(d.task, d.skipped, d.run) for d in result.decisions] == [("category", "busy", None)]
    assert TrainingRun.objects.count() == 1


def test_check_with_no_reason_queues_nothing(org):
    _run(org, hours_ago=1)
    _examples(org, 10)
    _logs(org, correct=99, incorrect=1)
    assert services.retrain_check(now=NOW, enqueue=False).decisions == []


def test_accuracy_trigger_queues_an_accuracy_run(org):
    _run(org, hours_ago=30)
    _logs(org, correct=40, incorrect=20)
    (run,) = services.retrain_check(now=NOW, enqueue=False).runs
    assert run.trigger == "accuracy"


def test_policy_estimator_is_used(org):
    _examples(org, 20)
    services.retrain_policy_update(organization=org, task="category", min_new_examples=10)
    (run,) = services.retrain_check(now=NOW, enqueue=False).runs
    assert run.trigger == "data_volume"


def test_the_lock_lets_one_check_run_at_a_time(org):
    from django.core.cache import cache

    _examples(org, 1000)
    assert cache.add(services.RETRAIN_LOCK_KEY, "someone-else", 60)
    held = services.retrain_check(now=NOW, enqueue=False)
    assert held.locked is False and held.decisions == []
    assert not TrainingRun.objects.exists()
    assert cache.get(services.RETRAIN_LOCK_KEY) == "someone-else"  # not released by us
    cache.delete(services.RETRAIN_LOCK_KEY)
    assert len(services.retrain_check(now=NOW, enqueue=False).runs) == 1
    assert cache.get(services.RETRAIN_LOCK_KEY) is None  # released after the check


def test_cache_lock_is_exclusive_until_released():
    with (
        services.cache_lock("t-lock", timeout=60) as first,
        services.cache_lock("t-lock", timeout=60) as second,
    ):
        assert (first, second) == (True, False)
    with services.cache_lock("t-lock", timeout=60) as third:
        assert third


def test_beat_task_runs_the_check(org, django_capture_on_commit_callbacks, monkeypatch):
    executed = []
    monkeypatch.setattr(
        "training.tasks.training_run_execute_task.delay", lambda run_id: executed.append(run_id)
    )
    _examples(org, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        assert retrain_check_task.delay().get() == 1
    assert executed == [TrainingRun.objects.get().pk]


# --- one run at a time: the database guard ------------------------------------------------


def test_database_refuses_a_second_active_run(org):
    TrainingRun.objects.create(organization=org, task="category", status="running")
    TrainingRun.objects.create(organization=org, task="category", status="failed")
    TrainingRun.objects.create(organization=org, task="priority", status="queued")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRun.objects.create(organization=org, task="category", status="queued")


def test_create_turns_a_lost_race_into_conflict(org, monkeypatch):
    services.training_run_create(organization=org, task="category", enqueue=False)
    # as if a concurrent process had not seen the first run yet
    monkeypatch.setattr(run_services, "training_run_get_busy", lambda **kw: None)
    with pytest.raises(Conflict):
        services.training_run_create(organization=org, task="category", enqueue=False)
    assert TrainingRun.objects.count() == 1


# --- policies -------------------------------------------------------------------------------


def test_policy_defaults_match_the_issue(org):
    policy = selectors.retrain_policy_get(organization=org, task="category")
    assert policy.pk is None
    assert (policy.accuracy_threshold, policy.min_new_examples, policy.interval_hours) == (
        0.95,
        1000,
        24,
    )
    assert policy.on_better_candidate == "nothing"


def test_policy_update_validates(org):
    policy = services.retrain_policy_update(
        organization=org, task="category", on_better_candidate="canary", candidate_percentage=20
    )
    assert (policy.on_better_candidate, policy.candidate_percentage) == ("canary", 20)
    for bad in (
        {"accuracy_threshold": 1.5},
        {"on_better_candidate": "yolo"},
        {"estimator": "huge"},
        {"colour": "red"},
    ):
        with pytest.raises(InvalidInput):
            services.retrain_policy_update(organization=org, task="category", **bad)
    with pytest.raises(InvalidInput):
        services.retrain_policy_update(organization=org, task="suggestion", enabled=False)


def test_organization_check_reports_reasons_and_force(org):
    _examples(org, 5)
    _run(org, hours_ago=1)
    decisions = services.retrain_check_organization(
        organization=org, tasks=["category"], enqueue=False
    )
    assert [(d.task, d.reasons, d.run) for d in decisions] == [("category", [], None)]
    forced = services.retrain_check_organization(
        organization=org, tasks=["category"], force=True, enqueue=False
    )
    assert forced[0].run.trigger == "manual"
    services.retrain_policy_update(organization=org, task="priority", enabled=False)
    _examples(org, 1000, task="priority")
    (off,) = services.retrain_check_organization(
        organization=org, tasks=["priority"], enqueue=False
    )
    assert off.run is None and off.skipped == "policy disabled" and off.reasons
