from celery import shared_task

from models_registry import services


@shared_task(acks_late=True)
def guardrails_check_task() -> int:
    """Beat: roll back candidates significantly worse than their control, then take the
    scheduled rollout steps that are due (in that order: a candidate just rolled back is no
    longer there to step up). Returns how many changes it made."""
    return len(services.guardrails_check()) + len(services.rollout_advance())


@shared_task(acks_late=True)
def shadow_predict_task(shadow_id: int, inference_log_id: int, text: str) -> bool:
    """A shadow version's prediction for one live prediction, off the request path."""
    prediction = services.shadow_predict(
        shadow_id=shadow_id, inference_log_id=inference_log_id, text=text
    )
    return prediction is not None
