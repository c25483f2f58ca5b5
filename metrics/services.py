"""Hourly rollups of the inference log: rebuilt whole per organization and hour, so a rebuild
is idempotent and late rows or late feedback are counted by rebuilding their hour."""

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from aiops.models import Suggestion
from metrics.estimation import fill_bins
from metrics.models import MetricRollup, RollupWatermark
from metrics.tally import ROW_FIELDS, Tally
from models_registry.models import InferenceLog, ModelVersion

HOUR = timedelta(hours=1)
# An hour is closed (rolled up, no longer read live) once it ended this long ago: an insert's
# transaction still open when its hour ends commits within it.
CLOSE_AFTER = timedelta(minutes=5)
# Outcomes written this long before the last check are looked at again, for the same reason.
OUTCOME_MARGIN = timedelta(seconds=30)
# A recalculation of up to this many hours runs in the request; a longer one in Celery.
INLINE_RECALCULATE_HOURS = 48


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def generation_key(organization_id: int) -> str:
    return f"metrics:rollup-generation:{organization_id}"


def rollup_generation(organization_id: int) -> int:
    """The organization's rollup generation, which every rebuild changes: cached reads of
    closed hours carry it in their key. Never 0 or reused after an eviction (a fresh one is a
    timestamp), so a read can never match an entry written before a rebuild."""
    key = generation_key(organization_id)
    generation = cache.get(key)
    if generation is None:
        cache.add(key, time.time_ns(), timeout=None)
        generation = cache.get(key)
    return generation


def version_references(*, organization_id: int) -> dict[int, tuple]:
    """Per version of the organization: its holdout-confidence bin edges and the holdout's
    accuracy per bin (see training.evaluation.drift_reference), either None when absent."""
    versions = ModelVersion.objects.filter(organization_id=organization_id)
    references = {}
    for pk, reference in versions.values_list("pk", "metrics__drift_reference"):
        reference = reference or {}
        references[pk] = (
            reference.get("confidence_edges"),
            fill_bins(reference.get("confidence_accuracy")),
        )
    return references


def contiguous_ranges(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted hours as [start, end) ranges of consecutive hours."""
    ranges: list[list[datetime]] = []
    for hour in sorted(set(hours)):
        if ranges and ranges[-1][1] == hour:
            ranges[-1][1] = hour + HOUR
        else:
            ranges.append([hour, hour + HOUR])
    return [(start, end) for start, end in ranges]


def tally_logs(logs, *, organization_id: int) -> dict[tuple, Tally]:
    """Tallies by (hour, task, model version id) of an organization's inference log queryset."""
    references = version_references(organization_id=organization_id)
    tallies: dict[tuple, Tally] = defaultdict(Tally)
    used = _suggestions_used(logs)
    columns = ("pk", "created_at", "task", "model_version_id", *ROW_FIELDS)
    for pk, created_at, task, version_id, *row in logs.values_list(*columns).iterator(5000):
        tally = tallies[(hour_floor(created_at), task, version_id)]
        edges, bin_accuracy = references.get(version_id, (None, None))
        tally.add_row(tuple(row), confidence_edges=edges, bin_accuracy=bin_accuracy)
        tally.used += pk in used
    return tallies


def _suggestions_used(logs) -> set[int]:
    return set(
        Suggestion.objects.filter(inference_log__in=logs.filter(task="suggestion"), was_used=True)
        .values_list("inference_log_id", flat=True)
        .iterator()
    )


def rollup_rebuild(*, organization_id: int, hours: Iterable[datetime]) -> int:
    """Recompute the rollups of these hours of one organization from the raw rows; returns
    the number of rollup rows written."""
    written = 0
    for start, end in contiguous_ranges(hours):
        logs = InferenceLog.objects.filter(
            organization_id=organization_id, created_at__gte=start, created_at__lt=end
        )
        tallies = tally_logs(logs, organization_id=organization_id)
        with transaction.atomic():
            MetricRollup.objects.filter(
                organization_id=organization_id, hour__gte=start, hour__lt=end
            ).delete()
            MetricRollup.objects.bulk_create(
                MetricRollup(
                    organization_id=organization_id,
                    hour=hour,
                    task=task,
                    model_version_id=version_id,
                    **tally.stored_fields(),
                )
                for (hour, task, version_id), tally in tallies.items()
            )
        written += len(tallies)
    _bump_generation(organization_id)
    return written


def _bump_generation(organization_id: int) -> None:
    key = generation_key(organization_id)
    try:
        cache.incr(key)
    except ValueError:  # absent (never read, or evicted): the next read starts a fresh one
        cache.add(key, time.time_ns(), timeout=None)


def _dirty_hours(
    *, closed_before: datetime, rows_since: datetime | None, outcomes_since: datetime | None
) -> dict[int, set[datetime]]:
    """Per organization, the closed hours (before `closed_before`) that are newly closed (from
    `rows_since`; every hour with rows when None) or had outcomes written since
    `outcomes_since`."""
    logs = InferenceLog.objects.filter(created_at__lt=closed_before)
    if rows_since is not None:
        logs = logs.filter(Q(created_at__gte=rows_since) | Q(outcome_at__gte=outcomes_since))
    dirty: dict[int, set[datetime]] = defaultdict(set)
    rows = logs.annotate(hour=TruncHour("created_at")).values_list("organization_id", "hour")
    for organization_id, hour in rows.distinct().iterator():
        dirty[organization_id].add(hour)
    return dirty


def closed_before(now: datetime) -> datetime:
    return hour_floor(now - CLOSE_AFTER)


def rollup_pending(*, now: datetime | None = None) -> dict:
    """Roll up every hour closed since the last run (all of them the first time) and rebuild
    the closed hours whose predictions got outcomes since; reads take the hours from the
    watermark on live. One run at a time (the watermark row's lock)."""
    now = now or timezone.now()
    with transaction.atomic():
        watermark = RollupWatermark.objects.select_for_update().filter(key="inference_logs").first()
        dirty = _dirty_hours(
            closed_before=closed_before(now),
            rows_since=watermark.closed_before if watermark else None,
            outcomes_since=watermark.outcomes_checked_at - OUTCOME_MARGIN if watermark else None,
        )
        written = sum(
            rollup_rebuild(organization_id=org_id, hours=hours) for org_id, hours in dirty.items()
        )
        RollupWatermark.objects.update_or_create(
            key="inference_logs",
            defaults={"closed_before": closed_before(now), "outcomes_checked_at": now},
        )
    return {
        "organizations": len(dirty),
        "hours": sum(len(h) for h in dirty.values()),
        "rollups": written,
    }


def rollup_recalculate(*, organization_id: int, start: datetime, end: datetime) -> dict:
    """Rebuild one organization's closed hours in [start, end)."""
    start = hour_floor(start)
    end = min(end, rollup_live_from())
    hours = []
    hour = start
    while hour < end:
        hours.append(hour)
        hour += HOUR
    written = rollup_rebuild(organization_id=organization_id, hours=hours)
    return {"hours": len(hours), "rollups": written}


def rollup_recalculate_request(*, organization_id: int, start: datetime, end: datetime) -> dict:
    """Rebuild [start, end) now when it spans at most INLINE_RECALCULATE_HOURS, else queue
    it (after the commit) for a worker: {"queued": bool, ...}."""
    if (end - start).total_seconds() / 3600 <= INLINE_RECALCULATE_HOURS:
        done = rollup_recalculate(organization_id=organization_id, start=start, end=end)
        return {"queued": False, **done}
    from metrics.tasks import rollup_recalculate_task

    transaction.on_commit(
        lambda: rollup_recalculate_task.delay(organization_id, start.isoformat(), end.isoformat())
    )
    return {"queued": True}


def rollup_live_from() -> datetime:
    """Hours from here on are read live from the inference log: those not rolled up yet."""
    watermark = RollupWatermark.objects.filter(key="inference_logs").values_list(
        "closed_before", flat=True
    )
    return watermark.first() or datetime.min.replace(tzinfo=UTC)
