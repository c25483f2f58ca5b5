"""The Celery app and every beat schedule of the project (one place)."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aiops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Which periodic tasks exist, what they run and their default schedule. Beat keeps the live
# schedule in the database (CELERY_BEAT_SCHEDULER, aiops/beat.py): each start syncs this into
# it, keeping a schedule or enabled flag edited in the admin, disabling an entry removed here.
app.conf.beat_schedule = {
    "retrain-check": {
        "task": "training.tasks.retrain_check",
        "schedule": crontab(minute="*/5"),
    },
    "feedback-examples": {
        "task": "feedback.tasks.feedback_examples_apply_task",
        "schedule": crontab(minute="*"),
    },
    "label-noise": {
        "task": "training.tasks.label_noise_check",
        "schedule": crontab(hour=3, minute=17),
    },
    "training-reap": {
        "task": "training.tasks.training_runs_reap_task",
        "schedule": crontab(minute="*/5"),
    },
    "beat-heartbeat": {
        "task": "aiops.tasks.beat_heartbeat_task",
        "schedule": crontab(minute="*"),
    },
    "metrics-rollup": {
        "task": "metrics.tasks.rollup_pending_task",
        "schedule": crontab(minute="*"),
    },
    "registry-guardrails": {
        "task": "models_registry.tasks.guardrails_check_task",
        "schedule": crontab(minute="*/5"),
    },
}


@worker_process_init.connect
def _warm_models(**_kwargs) -> None:
    """A worker process predicts shadows: load the serving versions as it starts."""
    from models_registry.warming import serving_warm_in_background

    serving_warm_in_background()
