"""The Celery app and every beat schedule of the project (one place)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aiops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
    "beat-heartbeat": {
        "task": "aiops.tasks.beat_heartbeat_task",
        "schedule": crontab(minute="*"),
    },
    "registry-guardrails": {
        "task": "models_registry.tasks.guardrails_check_task",
        "schedule": crontab(minute="*/5"),
    },
}
