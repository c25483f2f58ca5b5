from celery import shared_task
from django.core.cache import cache

from feedback import services

# Set while an examples sweep is queued and not yet started: submissions in the meantime
# need no sweep of their own, since the queued one will see their rows. It expires, so a
# lost message costs at most this long (beat's sweep covers a dead worker).
QUEUED_KEY = "feedback:examples-sweep-queued"
QUEUED_SECONDS = 60
# A queued sweep waits this long before it starts, gathering the feedback that arrives
# meanwhile: at most about one broker message per second, however busy the API (a Celery
# publish per request, as a worker that drains at once would otherwise cause, cost 1-2 ms).
SWEEP_DELAY_SECONDS = 1


def feedback_examples_apply_soon() -> None:
    """Queue a sweep unless one is queued already (one Redis SETNX per call)."""
    if cache.add(QUEUED_KEY, 1, timeout=QUEUED_SECONDS):
        feedback_examples_apply_task.apply_async(countdown=SWEEP_DELAY_SECONDS)


@shared_task(acks_late=True)
def feedback_examples_apply_task() -> int:
    """The sweep; on beat every minute, and queued after feedback that votes for an example.
    The mark is cleared before reading, so rows committed from now on queue another sweep."""
    cache.delete(QUEUED_KEY)
    return services.feedback_examples_apply()
