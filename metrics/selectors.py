"""Reads: inference tallies for a window, from hourly rollups for the closed hours (cached
until a rebuild touches the organization) and from the raw inference log for the rest."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q

from metrics.models import MetricRollup
from metrics.services import HOUR, hour_floor, rollup_generation, rollup_live_from, tally_logs
from metrics.tally import SUMMED, Tally
from models_registry.choices import Task
from models_registry.models import InferenceLog, ModelVersion
from training.choices import ValidationStatus
from training.models import TrainingExample

PERIODS = {
    "hour": HOUR,
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
}
# The timeline's bucket for each period (None: no timeline).
TIMELINE_BUCKET = {"hour": None, "day": "hour", "week": "day", "month": "day", "all": "day"}
CLOSED_CACHE_SECONDS = 3600
ROLLUP_FIELDS = (
    "hour",
    "task",
    "model_version_id",
    *SUMMED,
    "latency_histogram",
    "label_counts",
    "confidence_bins",
)


@dataclass(frozen=True)
class Window:
    """[start, end): whole hours from `start`; `end` is now or a given end."""

    start: datetime | None
    end: datetime


def window_for(
    *, period: str, now: datetime, start: datetime | None = None, end: datetime | None = None
) -> Window:
    """A period ends now and starts at the beginning of the hour that contains now − period
    (so day = the current hour and the 24 before it). `start` / `end` override, in whole
    hours: `start` rounded down, `end` up (and never past now). `all` has no start."""
    end = min(hour_ceil(end) if end else now, now)
    if start is None and period != "all":
        start = end - PERIODS[period]
    return Window(start=hour_floor(start) if start else None, end=end)


def hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment else floor + HOUR


def bucket_of(hour: datetime, bucket: str | None) -> datetime | None:
    if bucket == "day":
        return hour.replace(hour=0)
    return hour if bucket == "hour" else None


def _closed_tallies(
    *, organization_id: int, start, end, task, version_id, bucket
) -> dict[tuple, Tally]:
    rollups = MetricRollup.objects.filter(organization_id=organization_id, hour__lt=end)
    if start is not None:
        rollups = rollups.filter(hour__gte=start)
    if task:
        rollups = rollups.filter(task=task)
    if version_id:
        rollups = rollups.filter(model_version_id=version_id)
    groups: dict[tuple, list[Tally]] = defaultdict(list)
    for values in rollups.values(*ROLLUP_FIELDS).iterator(2000):
        key = (bucket_of(values["hour"], bucket), values["task"], values["model_version_id"])
        groups[key].append(Tally.from_values(values))
    return {key: Tally.total(group) for key, group in groups.items()}


def live_from_for(window: Window) -> datetime:
    return max(rollup_live_from(), window.start) if window.start else rollup_live_from()


def live_logs(*, organization_id: int, start, end, task=None, version_id=None):
    """The inference logs read live (not rolled up yet); every task listed when none is
    given, so the (organization, task, created_at) index serves the range."""
    logs = InferenceLog.objects.filter(
        organization_id=organization_id, created_at__gte=start, created_at__lt=end
    )
    logs = logs.filter(task=task) if task else logs.filter(task__in=Task.values)
    return logs.filter(model_version_id=version_id) if version_id else logs


def live_signature(**live) -> tuple:
    """What changes whenever the live rows do: their count, newest id and newest outcome."""
    row = live_logs(**live).aggregate(n=Count("pk"), last=Max("pk"), judged=Max("outcome_at"))
    return row["n"], row["last"], row["judged"] and row["judged"].timestamp()


def tallies(
    *,
    organization_id: int,
    window: Window,
    task: str | None = None,
    version_id: int | None = None,
    bucket: str | None = None,
) -> dict[tuple, Tally]:
    """Tallies by (bucket start or None, task, model version id) over the window."""
    live_from = live_from_for(window)
    closed_end = min(live_from, hour_ceil(window.end))
    grouped: dict[tuple, Tally] = {}
    if window.start is None or closed_end > window.start:
        closed = {
            "organization_id": organization_id,
            "start": window.start,
            "end": closed_end,
            "task": task,
            "version_id": version_id,
            "bucket": bucket,
        }
        if settings.AIOPS_METRICS_CACHE:
            parts = ("metrics:closed", rollup_generation(organization_id), *closed.values())
            key = ":".join(
                str(int(p.timestamp())) if isinstance(p, datetime) else str(p) for p in parts
            )
            grouped = cache.get(key)
            if grouped is None:
                grouped = _closed_tallies(**closed)
                cache.set(key, grouped, CLOSED_CACHE_SECONDS)
        else:
            grouped = _closed_tallies(**closed)
    logs = live_logs(
        organization_id=organization_id,
        start=live_from,
        end=window.end,
        task=task,
        version_id=version_id,
    )
    for (hour, task_, version), tally in tally_logs(logs, organization_id=organization_id).items():
        key = (bucket_of(hour, bucket), task_, version)
        grouped[key] = grouped[key].merge(tally) if key in grouped else tally
    return grouped


def totals_by(tallies_: dict[tuple, Tally], *positions: int) -> dict[tuple, Tally]:
    """Merge tallies over the key positions not named (0 bucket, 1 task, 2 version id)."""
    groups: dict[tuple, list[Tally]] = defaultdict(list)
    for key, tally in tallies_.items():
        groups[tuple(key[p] for p in positions)].append(tally)
    return {key: Tally.total(group) for key, group in groups.items()}


@dataclass(frozen=True)
class VersionFacts:
    """What the report needs of a version, without its (large) metrics document."""

    task: str
    version: str
    accuracy: float | None
    reference: dict


def version_facts(ids) -> dict[int, VersionFacts]:
    rows = ModelVersion.objects.filter(pk__in=ids).values_list(
        "pk", "task", "major", "minor", "patch", "metrics__accuracy", "metrics__drift_reference"
    )
    return {
        pk: VersionFacts(
            task=task,
            version=ModelVersion(major=major, minor=minor, patch=patch).version,
            accuracy=accuracy,
            reference=reference or {},
        )
        for pk, task, major, minor, patch, accuracy, reference in rows
    }


def review_backlog(*, organization_id: int) -> dict[str, dict[str, int]]:
    """Per task (every task listed, zeros included): training examples pending review, disputed
    (a vote disagrees with a trusted label) and suspected label noise not rejected. One query."""
    rows = (
        TrainingExample.objects.filter(organization_id=organization_id)
        .order_by()
        .values("task")
        .annotate(
            pending=Count("pk", filter=Q(validation_status=ValidationStatus.PENDING)),
            disputed=Count("pk", filter=Q(disputed=True)),
            noisy=Count(
                "pk", filter=Q(noise_flag=True) & ~Q(validation_status=ValidationStatus.REJECTED)
            ),
        )
    )
    backlog = {task: {"pending": 0, "disputed": 0, "noisy": 0} for task in Task.values}
    for row in rows:
        backlog[row.pop("task")] = row
    return backlog
