from celery import shared_task

from aiops.services.health import heartbeat_record


@shared_task(acks_late=True, ignore_result=True)
def beat_heartbeat_task() -> None:
    """Beat, every minute: the timestamp /readyz checks (beat scheduled it, a worker ran it)."""
    heartbeat_record()
