from celery import shared_task

from models_registry import services


@shared_task(acks_late=True)
def guardrails_check_task() -> int:
    """Beat: roll back candidates significantly worse than their control."""
    return len(services.guardrails_check())
