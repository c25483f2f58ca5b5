from celery import shared_task

from aiops.models import Organization
from training import services


@shared_task(acks_late=True)
def training_run_execute_task(run_id: int) -> str:
    return services.training_run_execute(run_id=run_id).status


@shared_task(acks_late=True)
def label_noise_detect_task(organization_id: int, task: str) -> int:
    organization = Organization.objects.get(pk=organization_id)
    return services.label_noise_detect(organization=organization, task=task).flagged


@shared_task(acks_late=True)
def retrain_check() -> int:
    """Beat, every 5 minutes: queue the runs that retrain policies call for."""
    return len(services.retrain_check().runs)
