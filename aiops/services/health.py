"""Heartbeats of the periodic processes, read by /readyz."""

from django.db import transaction
from django.utils import timezone

from aiops.models import Heartbeat

BEAT = "beat"


@transaction.atomic
def heartbeat_record(*, name: str = BEAT) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat
