"""Periodic tasks: defined once in code, live in the database, edited in the admin.

`app.conf.beat_schedule` (config/celery.py) says which periodic tasks exist, what each runs
(task, args, kwargs, options) and its default schedule. The database (django-celery-beat's
PeriodicTask rows) holds the live schedule, which beat follows and the admin edits.
`beat_schedule_sync` brings the code into the database, and `CodeDefinedScheduler` (beat's
scheduler, `CELERY_BEAT_SCHEDULER`) runs it each time beat starts, instead of the stock
scheduler's `update_from_dict`, which would overwrite every edit on each start:

- an entry with no row gets one (its schedule from the code, enabled);
- an existing row's task, args, kwargs and options follow the code;
- its schedule follows the code only while nobody edited it: the description records the
  code's schedule at the last sync, and a row whose schedule differs from it was edited in
  the admin, so it is kept; the enabled flag is never touched, except:
- a row whose entry left the code is disabled (and enabled again if the entry returns).

The description is the sync's record: edit the schedule or the enabled flag, not it. Tasks
added in the admin (no such description) are left alone.
"""

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from celery import schedules
from django.db import DatabaseError, connection, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler
from kombu.utils.json import dumps

SOURCE = "config/celery.py"
CODE_MARK = f"Defined in code ({SOURCE})"
REMOVED_MARK = f"Removed from code ({SOURCE})"
_RECORDED = re.compile(r"code schedule: \[(?P<key>[^\]]*)\]")
OPTION_FIELDS = ("queue", "exchange", "routing_key", "priority", "expire_seconds")
CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
logger = logging.getLogger(__name__)


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)  # admin-edited schedules kept
    disabled: list[str] = field(default_factory=list)  # left the code
    unchanged: list[str] = field(default_factory=list)


def _description(key: str, *, removed: bool = False) -> str:
    if removed:
        return (
            f"{REMOVED_MARK}: disabled by the schedule sync; code schedule: [{key}]. "
            "It is enabled again if the entry returns."
        )
    return (
        f"{CODE_MARK}; code schedule: [{key}]. The schedule and the enabled flag edited here "
        "are kept; the task and its arguments follow the code."
    )


def _code_key(schedule, timezone: str) -> tuple[str, dict]:
    """A code schedule as (its key, the fields of its CrontabSchedule or IntervalSchedule)."""
    schedule = schedules.maybe_schedule(schedule)
    if isinstance(schedule, schedules.crontab):
        spec = {
            "minute": str(schedule._orig_minute),
            "hour": str(schedule._orig_hour),
            "day_of_month": str(schedule._orig_day_of_month),
            "month_of_year": str(schedule._orig_month_of_year),
            "day_of_week": str(schedule._orig_day_of_week),
            "timezone": timezone,
        }
        return _crontab_key(spec), {"crontab": spec}
    if isinstance(schedule, schedules.schedule):
        seconds = int(schedule.run_every.total_seconds())
        return f"every {seconds} s", {"interval": {"every": seconds, "period": "seconds"}}
    raise ValueError(f"Only crontab and interval schedules sync to the database: {schedule!r}")


def _crontab_key(spec: dict) -> str:
    return "crontab " + " ".join(str(spec[part]) for part in CRONTAB_FIELDS)


def _row_key(row: PeriodicTask) -> str | None:
    if row.crontab_id is not None:
        crontab = row.crontab
        return _crontab_key({name: getattr(crontab, name) for name in CRONTAB_FIELDS})
    if row.interval_id is not None:
        seconds = timedelta(**{row.interval.period: row.interval.every}).total_seconds()
        return f"every {int(seconds)} s"
    return None  # solar or clocked: never the code's


def _schedule_fields(spec: dict) -> dict:
    """The row's schedule fields for a code schedule (an existing schedule row when equal)."""
    if "crontab" in spec:
        crontab = CrontabSchedule.objects.filter(**spec["crontab"]).first()
        crontab = crontab or CrontabSchedule.objects.create(**spec["crontab"])
        return {"crontab": crontab, "interval": None, "solar": None, "clocked": None}
    interval = IntervalSchedule.objects.filter(**spec["interval"]).first()
    interval = interval or IntervalSchedule.objects.create(**spec["interval"])
    return {"interval": interval, "crontab": None, "solar": None, "clocked": None}


def _definition(entry: dict) -> dict:
    options = entry.get("options") or {}
    return {
        "task": entry["task"],
        "args": dumps(list(entry.get("args") or [])),
        "kwargs": dumps(dict(entry.get("kwargs") or {})),
        "headers": dumps(options.get("headers") or {}),
        **{name: options.get(name) for name in OPTION_FIELDS},
    }


@transaction.atomic
def beat_schedule_sync(*, schedule: dict, timezone: str = "UTC") -> SyncResult:
    """Bring the code's beat schedule into the database (see the module's docstring).
    Idempotent: a second call with the same schedule writes nothing."""
    result = SyncResult()
    for name, entry in schedule.items():
        key, spec = _code_key(entry["schedule"], str(timezone))
        definition = _definition(entry)
        row = PeriodicTask.objects.select_related("crontab", "interval").filter(name=name).first()
        if row is None:
            PeriodicTask.objects.create(
                name=name,
                enabled=True,
                description=_description(key),
                **definition,
                **_schedule_fields(spec),
            )
            result.created.append(name)
            continue
        changes = {k: v for k, v in definition.items() if getattr(row, k) != v}
        recorded = _RECORDED.search(row.description or "")
        current = _row_key(row)
        # Unedited: the schedule is the one last synced (or, on a row not synced before,
        # the code's own). Edited in the admin: kept.
        edited = current != (recorded.group("key") if recorded else key)
        if current != key and not edited:
            changes.update(_schedule_fields(spec))
        elif edited:
            result.kept_edits.append(name)
        if (row.description or "").startswith(REMOVED_MARK):
            changes["enabled"] = True
        if row.description != _description(key):
            changes["description"] = _description(key)
        if not changes:
            result.unchanged.append(name)
            continue
        for attribute, value in changes.items():
            setattr(row, attribute, value)
        row.save()
        result.updated.append(name)
    gone = PeriodicTask.objects.filter(description__startswith=CODE_MARK).exclude(
        name__in=list(schedule)
    )
    for row in gone.select_related("crontab", "interval"):
        recorded = _RECORDED.search(row.description)
        row.enabled = False
        row.description = _description(recorded.group("key") if recorded else "?", removed=True)
        row.save()
        result.disabled.append(row.name)
    return result


class CodeDefinedScheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler, whose start syncs the code's schedule
    (`beat_schedule_sync`) instead of overwriting the database with it."""

    STARTUP_ATTEMPTS = 8

    def setup_schedule(self):
        # `make run` starts beat, two workers and the web server at once on one SQLite file,
        # whose WAL set-up can then refuse a connection ("locking protocol"): retry briefly
        # rather than let beat die at start.
        for attempt in range(1, self.STARTUP_ATTEMPTS + 1):
            try:
                return self.setup_schedule_once()
            except DatabaseError:
                if attempt == self.STARTUP_ATTEMPTS:
                    raise
                logger.warning("Beat could not read its schedule (attempt %d); retrying", attempt)
                connection.close()
                time.sleep(attempt)

    def setup_schedule_once(self):
        # Touch the database first: the stock `schedule` property swallows a database error
        # and answers None, which would fail later as an AttributeError.
        PeriodicTask.objects.exists()
        self.install_default_entries(self.schedule)  # celery.backend_cleanup, as stock
        result = beat_schedule_sync(
            schedule=self.app.conf.beat_schedule, timezone=str(self.app.timezone)
        )
        logger.info(
            "Beat schedule synced from %s: created %s, updated %s, admin edits kept %s, "
            "disabled %s",
            SOURCE,
            result.created,
            result.updated,
            result.kept_edits,
            result.disabled,
        )
        self._schedule = self.all_as_schedule()
