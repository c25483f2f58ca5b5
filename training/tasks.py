from celery import shared_task
from django.conf import settings

from aiops.models import Organization
from training import services


# On the `training` queue (CELERY_TASK_ROUTES), so no fit delays the sweep or the guardrails.
# The soft limit lets the run record why it stopped; the hard one frees the worker anyway (a
# prefork pool enforces both; a solo pool neither), and the reaper fails what is left running.
@shared_task(
    acks_late=True,
    time_limit=settings.AIOPS_TRAINING_TIME_LIMIT,
    soft_time_limit=settings.AIOPS_TRAINING_SOFT_TIME_LIMIT,
)
def training_run_execute_task(run_id: int) -> str:
    return services.training_run_execute(run_id=run_id).status


@shared_task(acks_late=True)
def training_runs_reap_task() -> int:
    """Beat, every 5 minutes: fail the runs whose worker died or whose message was lost."""
    return len(services.training_runs_reap())


@shared_task(
    acks_late=True,
    time_limit=settings.AIOPS_TRAINING_TIME_LIMIT,
    soft_time_limit=settings.AIOPS_TRAINING_SOFT_TIME_LIMIT,
)
def label_noise_detect_task(organization_id: int, task: str, include_pending: bool = False) -> int:
    organization = Organization.objects.get(pk=organization_id)
    summary = services.label_noise_detect(
        organization=organization, task=task, include_pending=include_pending
    )
    return summary.flagged


@shared_task(acks_late=True)
def label_noise_check() -> int:
    """Beat, nightly: re-check label noise, pending examples included (the review queue is
    ordered by it), for every organization and task whose examples changed since the last
    check; one task each (on the training queue: each is a fit). Returns how many it queued."""
    due = services.label_noise_check_due()
    for organization_id, task in due:
        label_noise_detect_task.delay(organization_id, task, include_pending=True)
    return len(due)


@shared_task(acks_late=True)
def retrain_check() -> int:
    """Beat, every 5 minutes: queue the runs that retrain policies call for."""
    return len(services.retrain_check().runs)
