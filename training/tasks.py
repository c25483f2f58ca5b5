from celery import shared_task

from training import services


@shared_task(acks_late=True)
def training_run_execute_task(run_id: int) -> str:
    return services.training_run_execute(run_id=run_id).status
