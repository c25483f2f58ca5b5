"""No stuck runs: the reaper on beat, the time limits, the training queue."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.utils import timezone

from config.celery import app
from models_registry.models import ModelVersion
from tests.training.test_runs import _load
from training import estimators, services, tasks
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.AIOPS_TRAINING_TIME_LIMIT = 60
    settings.AIOPS_TRAINING_REAP_GRACE = 30
    settings.AIOPS_TRAINING_QUEUE_TIMEOUT = 3600
    return settings


def _run(org, *, status, task="category", created_ago=0.0, started_ago=None):
    now = timezone.now()
    run = TrainingRun.objects.create(organization=org, task=task, status=status)
    TrainingRun.objects.filter(pk=run.pk).update(
        created_at=now - timedelta(seconds=created_ago),
        started_at=None if started_ago is None else now - timedelta(seconds=started_ago),
    )
    return run


def test_a_run_running_past_the_limit_and_grace_is_reaped(org, limits):
    stuck = _run(org, status="running", created_ago=100, started_ago=100)
    fresh = _run(org, status="running", task="priority", created_ago=80, started_ago=80)
    reaped = services.training_runs_reap()
    assert [r.pk for r in reaped] == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.finished_at is not None
    assert "past the 60 s time limit and 30 s grace" in stuck.error
    assert stuck.model_version is None and not ModelVersion.objects.exists()
    fresh.refresh_from_db()
    assert fresh.status == "running"
    # the org's task can train again
    run = services.training_run_create(organization=org, task="category", enqueue=False)
    assert run.status == "queued"


def test_a_queued_run_overtaken_by_a_later_one_lost_its_message(org, limits):
    lost = _run(org, status="queued", created_ago=200)
    _run(org, status="succeeded", task="priority", created_ago=150, started_ago=100)
    waiting = _run(org, status="queued", task="sentiment", created_ago=90)  # after the later one
    (reaped,) = services.training_runs_reap()
    assert reaped.pk == lost.pk and reaped.status == "failed"
    assert "its task message was lost" in reaped.error
    waiting.refresh_from_db()
    assert waiting.status == "queued"


def test_a_queued_run_that_no_worker_takes_is_reaped_at_the_queue_timeout(org, limits):
    _run(org, status="queued", created_ago=3000)
    assert services.training_runs_reap() == []  # a slow queue is not a lost message
    old = _run(org, status="queued", task="priority", created_ago=3700)
    (reaped,) = services.training_runs_reap()
    assert reaped.pk == old.pk and "AIOPS_TRAINING_QUEUE_TIMEOUT" in reaped.error


def test_a_run_reaped_while_it_fits_registers_nothing(org, limits, monkeypatch):
    _load(org)
    build = estimators.build_estimator

    class ReapedMidFit:
        def __init__(self, *args, **kwargs):
            self.model = build(*args, **kwargs)

        def fit(self, texts, labels):
            later = timezone.now() + timedelta(seconds=100)
            assert len(services.training_runs_reap(now=later)) == 1
            self.model.fit(texts, labels)
            return self.model

    monkeypatch.setattr(estimators, "build_estimator", ReapedMidFit)
    run = services.training_run_create(organization=org, task="category", enqueue=False)
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == "failed" and run.error.startswith("Reaped")  # the reason stays
    assert not ModelVersion.objects.exists()


def test_the_soft_time_limit_fails_the_run_with_the_reason(org, monkeypatch):
    _load(org)

    class Slow:
        def fit(self, texts, labels):
            raise SoftTimeLimitExceeded()

    monkeypatch.setattr(estimators, "build_estimator", lambda *a, **kw: Slow())
    run = services.training_run_create(organization=org, task="category", enqueue=False)
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == "failed" and "time limit" in run.error
    assert not ModelVersion.objects.exists()


def test_the_reaper_runs_on_beat(org, limits):
    _run(org, status="running", started_ago=1000)
    assert tasks.training_runs_reap_task.delay().get() == 1
    entry = app.conf.beat_schedule["training-reap"]
    assert entry["task"] == tasks.training_runs_reap_task.name
    assert entry["schedule"].minute == set(range(0, 60, 5))


def test_fits_have_their_own_queue_and_a_time_limit():
    for task in (tasks.training_run_execute_task, tasks.label_noise_detect_task):
        assert app.amqp.router.route({}, task.name)["queue"].name == "training"
        assert task.time_limit == django_settings.AIOPS_TRAINING_TIME_LIMIT == 3600
        assert 0 < task.soft_time_limit < task.time_limit
    for name in ("feedback.tasks.feedback_examples_apply_task", tasks.retrain_check.name):
        assert app.amqp.router.route({}, name)["queue"].name == "celery"
