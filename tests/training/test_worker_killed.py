"""A real Celery worker (the `training` queue's prefork pool, as `make run` starts it) against
the test database: SIGKILLed mid-fit, its run is reaped; left alone past a short time limit,
the run records why it stopped. PostgreSQL only (the worker is another process: it needs a
database it can connect to by name; SQLite's test database is in memory). The broker is a
filesystem folder in tmp_path that only these tests use."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import numpy as np
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from models_registry.models import ModelVersion
from training import services
from training.models import TrainingExample, TrainingRun

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORDS = np.array([f"w{i}" for i in range(3000)])
TIMEOUT = 90  # seconds for the worker to start and claim the run


@pytest.fixture
def worker(tmp_path, org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker subprocess connects to the test database")
    folders = {name: tmp_path / "broker" / name for name in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_FOLDER": str(tmp_path / "broker"),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    started = []

    def start(**extra_env):
        log = open(tmp_path / "worker.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "training"]
            + ["--pool=prefork", "--concurrency=1", "--without-mingle", "--without-gossip"]
            + ["-n", f"killtest-{os.getpid()}@%h", "--loglevel=INFO"],
            cwd=settings.BASE_DIR,
            env={**env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole
        )
        started.append((process, log))
        return process

    sender = Celery("probe", broker="filesystem://", set_as_current=False)
    sender.conf.broker_transport_options = {
        "data_folder_in": str(folders["out"]),
        "data_folder_out": str(folders["out"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    _examples(org)
    yield start, sender
    for process, log in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        log.close()


def _examples(org, n=5000):
    """Enough examples for a fit that lasts seconds (noise detection fits five folds first)."""
    rng = np.random.default_rng(0)
    labels = [f"label{i}" for i in range(20)]
    texts = [" ".join(words) for words in rng.choice(WORDS, (n, 12))]
    TrainingExample.objects.bulk_create(
        [
            TrainingExample(
                organization=org,
                task="category",
                input_text=texts[i],
                expected_output=labels[i % 20],
                source="import",
                validation_status="approved",
                content_hash=f"{i:064x}",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def _queue_run(org, sender) -> TrainingRun:
    run = services.training_run_create(organization=org, task="category", enqueue=False)
    sender.send_task("training.tasks.training_run_execute_task", args=[run.pk], queue="training")
    return run


def _wait(run, statuses, timeout=TIMEOUT) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.02)
    pytest.fail(f"run {run.pk} still {run.status} after {timeout} s")


def test_a_worker_killed_mid_fit_leaves_a_run_the_reaper_fails(worker, org):
    start, sender = worker
    process = start()
    run = _wait(_queue_run(org, sender), {"running", "succeeded", "failed"})
    assert run.status == "running", "the fit ended before the worker could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the worker and its pool child, mid-fit
    process.wait(timeout=30)
    time.sleep(0.5)
    run.refresh_from_db()
    assert run.status == "running" and run.model_version is None  # stuck: nobody finishes it
    due = run.started_at + timedelta(
        seconds=settings.AIOPS_TRAINING_TIME_LIMIT + settings.AIOPS_TRAINING_REAP_GRACE + 1
    )
    assert services.training_runs_reap(now=run.started_at) == []  # not before it is due
    (reaped,) = services.training_runs_reap(now=due)
    assert reaped.pk == run.pk and reaped.status == "failed"
    assert "its worker stopped" in reaped.error and reaped.finished_at == due
    assert not ModelVersion.objects.filter(organization=org).exists()
    again = services.training_run_create(organization=org, task="category", enqueue=False)
    assert again.status == "queued"


def test_the_prefork_worker_enforces_the_time_limit(worker, org):
    start, sender = worker
    start(AIOPS_TRAINING_TIME_LIMIT="60", AIOPS_TRAINING_SOFT_TIME_LIMIT="1")
    run = _wait(_queue_run(org, sender), {"succeeded", "failed"})
    assert run.status == "failed" and "time limit" in run.error, run.error
    assert not ModelVersion.objects.filter(organization=org).exists()
