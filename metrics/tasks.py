from datetime import datetime

from celery import shared_task

from metrics import services


@shared_task(acks_late=True)
def rollup_pending_task() -> dict:
    """Beat, every minute: roll up the hours that closed, rebuild those with new outcomes."""
    return services.rollup_pending()


@shared_task(acks_late=True)
def rollup_recalculate_task(organization_id: int, start: str, end: str) -> dict:
    return services.rollup_recalculate(
        organization_id=organization_id,
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
    )
