from celery import shared_task
from django.core.cache import cache

from feedback import services

# Set for a moment after a submission queues the examples sweep: submissions meanwhile need
# no sweep of their own. The sweep starts later than the mark expires, so it reads every row
# committed while the mark stood (the second between them covers clock skew between hosts).
# Expiry, not deletion by the worker, ends the mark: it works with a per-process cache too.
QUEUED_KEY = "feedback:examples-sweep-queued"
QUEUED_SECONDS = 1
SWEEP_DELAY_SECONDS = 2
# A sweep message a busy worker reaches later than this is dropped: beat's sweep, or any
# later one, reads the same rows.
SWEEP_EXPIRES_SECONDS = 60


def feedback_examples_apply_soon() -> None:
    """Queue a sweep unless one was queued within the last second (one Redis SETNX per call):
    at most about one broker message per second however busy the API, where a Celery publish
    per request cost 1-2 ms of its time."""
    if cache.add(QUEUED_KEY, 1, timeout=QUEUED_SECONDS):
        feedback_examples_apply_task.apply_async(
            countdown=SWEEP_DELAY_SECONDS, expires=SWEEP_EXPIRES_SECONDS
        )


@shared_task(acks_late=True)
def feedback_examples_apply_task() -> int:
    """The examples sweep: on beat every minute, and queued after feedback."""
    return services.feedback_examples_apply()
