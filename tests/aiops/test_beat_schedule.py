"""Periodic tasks: defined in config/celery.py, synced into django-celery-beat's tables,
edited in the admin (superusers) without the next beat start undoing the edit."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from aiops.beat import CodeDefinedScheduler, beat_schedule_sync
from config.celery import app

pytestmark = pytest.mark.django_db
CODE = app.conf.beat_schedule


def _crontab(name: str) -> tuple:
    c = PeriodicTask.objects.get(name=name).crontab
    return (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week, str(c.timezone))


def test_sync_creates_one_enabled_task_per_code_entry_with_its_crontab():
    result = beat_schedule_sync(schedule=CODE)
    assert sorted(result.created) == sorted(CODE)
    rows = {row.name: row for row in PeriodicTask.objects.all()}
    assert set(rows) == set(CODE)
    for name, entry in CODE.items():
        assert rows[name].task == entry["task"] and rows[name].enabled
        assert rows[name].description.startswith("Defined in code (config/celery.py)")
    assert _crontab("retrain-check") == ("*/5", "*", "*", "*", "*", "UTC")
    assert _crontab("label-noise") == ("17", "3", "*", "*", "*", "UTC")
    assert PeriodicTask.objects.get(name="beat-heartbeat").task == "aiops.tasks.beat_heartbeat_task"


def test_sync_is_idempotent():
    beat_schedule_sync(schedule=CODE)
    before = dict(PeriodicTask.objects.values_list("name", "date_changed"))
    crontabs = CrontabSchedule.objects.count()
    again = beat_schedule_sync(schedule=CODE)
    assert again.created == again.updated == again.disabled == []
    assert sorted(again.unchanged) == sorted(CODE)
    assert dict(PeriodicTask.objects.values_list("name", "date_changed")) == before
    assert CrontabSchedule.objects.count() == crontabs == 3  # */5, * and 3:17, shared


def test_an_admin_edit_of_schedule_and_enabled_is_kept_and_code_still_owns_the_task():
    beat_schedule_sync(schedule=CODE)
    every_ten = CrontabSchedule.objects.create(minute="*/10", timezone="UTC")
    PeriodicTask.objects.filter(name="retrain-check").update(crontab=every_ten)
    PeriodicTask.objects.filter(name="metrics-rollup").update(enabled=False)
    PeriodicTask.objects.filter(name="training-reap").update(task="edited.by.hand", args="[1]")
    result = beat_schedule_sync(schedule=CODE)
    assert result.kept_edits == ["retrain-check"]
    assert _crontab("retrain-check")[0] == "*/10"
    assert PeriodicTask.objects.get(name="metrics-rollup").enabled is False
    reap = PeriodicTask.objects.get(name="training-reap")
    assert (reap.task, reap.args) == ("training.tasks.training_runs_reap_task", "[]")
    # the code's schedule changes: an unedited row follows, the edited one stays
    changed = {
        **CODE,
        "retrain-check": {**CODE["retrain-check"], "schedule": crontab(minute="*/15")},
        "label-noise": {**CODE["label-noise"], "schedule": crontab(hour=4, minute=5)},
    }
    beat_schedule_sync(schedule=changed)
    assert _crontab("retrain-check")[0] == "*/10"
    assert _crontab("label-noise")[:2] == ("5", "4")


def test_an_entry_removed_from_code_is_disabled_and_comes_back_with_it():
    beat_schedule_sync(schedule=CODE)
    admin_made = PeriodicTask.objects.create(
        name="by hand",
        task="aiops.tasks.beat_heartbeat_task",
        crontab=CrontabSchedule.objects.first(),
    )
    fewer = {name: entry for name, entry in CODE.items() if name != "label-noise"}
    result = beat_schedule_sync(schedule=fewer)
    assert result.disabled == ["label-noise"]
    gone = PeriodicTask.objects.get(name="label-noise")
    assert gone.enabled is False and gone.description.startswith("Removed from code")
    admin_made.refresh_from_db()
    assert admin_made.enabled is True  # not the sync's to touch
    beat_schedule_sync(schedule=CODE)
    assert PeriodicTask.objects.get(name="label-noise").enabled is True


def test_interval_entries_and_their_arguments_sync_too():
    entry = {"task": "some.task", "schedule": timedelta(seconds=30), "args": [1], "kwargs": {}}
    assert beat_schedule_sync(schedule={"often": entry}).created == ["often"]
    row = PeriodicTask.objects.get(name="often")
    assert (row.interval.every, row.interval.period, row.crontab, row.args) == (
        30,
        "seconds",
        None,
        "[1]",
    )
    moved = {**entry, "schedule": timedelta(minutes=2), "args": [2]}
    assert beat_schedule_sync(schedule={"often": moved}).updated == ["often"]
    row.refresh_from_db()
    assert (row.interval.every, row.args) == (120, "[2]")
    assert beat_schedule_sync(schedule={"often": moved}).unchanged == ["often"]


# Transactional: the stock scheduler calls close_old_connections(), which closes a connection
# found inside a transaction (the test's own, on PostgreSQL).
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_syncs_on_start_and_follows_the_database():
    beat_schedule_sync(schedule=CODE)
    PeriodicTask.objects.filter(name="metrics-rollup").update(enabled=False)
    scheduler = CodeDefinedScheduler(app=app)
    names = set(scheduler.schedule)
    # (the stock scheduler reads a crontab with a fixed hour only within 2 h of it: label-noise)
    assert set(CODE) - {"metrics-rollup", "label-noise"} <= names
    assert "metrics-rollup" not in names
    assert str(scheduler.schedule["retrain-check"].schedule.minute) == str(
        crontab(minute="*/5").minute
    )
    assert app.conf.beat_scheduler == "aiops.beat:CodeDefinedScheduler"


def test_periodic_tasks_admin_is_for_superusers_only(make_staff, org):
    beat_schedule_sync(schedule=CODE)
    page = make_staff(None).get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    listed = {row.name for row in page.context["cl"].result_list}
    assert listed == set(CODE)
    assert page.content.decode().count('<td class="field-defined_in">code</td>') == len(CODE)
    staff = make_staff(org, "admin")
    assert staff.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert b"django_celery_beat" not in staff.get("/admin/").content


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_retries_a_refused_connection_at_start(monkeypatch):
    """`make run` starts beat beside two workers and runserver on one SQLite file, whose WAL
    set-up can refuse a connection at that moment ("locking protocol")."""
    from django.db import OperationalError

    from aiops import beat

    real, calls = CodeDefinedScheduler.setup_schedule_once, []

    def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("locking protocol")
        return real(self)

    monkeypatch.setattr(CodeDefinedScheduler, "setup_schedule_once", flaky)
    monkeypatch.setattr(beat.time, "sleep", lambda seconds: None)
    scheduler = CodeDefinedScheduler(app=app)
    assert len(calls) == 2 and "metrics-rollup" in scheduler.schedule
