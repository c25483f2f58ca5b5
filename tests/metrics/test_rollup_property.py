"""Rollup-backed answers equal a direct aggregation over the raw rows, for every period, on
random data (percentiles within the stated bucket error), with late rows and late outcomes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import latency
from metrics.models import MetricRollup, RollupWatermark
from metrics.selectors import PERIODS, tallies, totals_by, window_for
from metrics.services import rollup_pending
from models_registry.models import InferenceLog
from tests.factories import OrganizationFactory
from tests.feedback.operations import model_version

NOW = datetime(2026, 11, 30, 12, 34, tzinfo=UTC)
TASKS = ("category", "sentiment")

row = st.fixed_dictionaries(
    {
        "minutes_ago": st.integers(min_value=0, max_value=40 * 24 * 60),
        "task": st.sampled_from(TASKS),
        "latency_ms": st.floats(min_value=0.05, max_value=5000),
        "success": st.booleans(),
        "outcome": st.sampled_from(["correct", "incorrect", "unknown"]),
        "confidence": st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
        "tokens_in": st.integers(min_value=0, max_value=500),
        "cost": st.decimals(min_value=0, max_value=1, places=6),
        "label": st.sampled_from(["a", "b", "c"]),
    }
)


def insert(org, versions, rows, now=NOW):
    logs = InferenceLog.objects.bulk_create(
        InferenceLog(
            organization=org,
            task=r["task"],
            model_version=versions[r["task"]],
            latency_ms=r["latency_ms"],
            success=r["success"],
            outcome=r["outcome"],
            confidence=r["confidence"],
            tokens_in=r["tokens_in"],
            cost_usd=r["cost"],
            predicted_label=r["label"],
        )
        for r in rows
    )
    for log, r in zip(logs, rows, strict=True):
        InferenceLog.objects.filter(pk=log.pk).update(
            created_at=now - timedelta(minutes=r["minutes_ago"] % max_minutes(now))
        )


def max_minutes(now):
    # Rows inserted after the first run fall in the hours since it (the live ones then).
    return 40 * 24 * 60 + 1 if now == NOW else int((now - NOW).total_seconds() // 60) + 6


def direct(org, window, task):
    logs = [
        log
        for log in InferenceLog.objects.filter(organization=org, task=task)
        if (window.start is None or log.created_at >= window.start) and log.created_at < window.end
    ]
    return {
        "n": len(logs),
        "errors": sum(not log.success for log in logs),
        "correct": sum(log.outcome == "correct" for log in logs),
        "incorrect": sum(log.outcome == "incorrect" for log in logs),
        "tokens_in": sum(log.tokens_in for log in logs),
        "cost": sum((log.cost_usd for log in logs), Decimal(0)),
        "unjudged": sum(
            1
            for log in logs
            if log.success and log.confidence is not None and log.outcome == "unknown"
        ),
        "p95": latency.exact_percentile([log.latency_ms for log in logs], 0.95),
    }


def check_every_period(org, now=NOW):
    for period in [*PERIODS, "all"]:
        window = window_for(period=period, now=now)
        grouped = totals_by(tallies(organization_id=org.pk, window=window), 1)
        for task in TASKS:
            expected = direct(org, window, task)
            got = grouped.get((task,))
            if got is None:
                assert expected["n"] == 0
                continue
            assert got.inferences == expected["n"], period
            assert (got.errors, got.correct, got.incorrect) == (
                expected["errors"],
                expected["correct"],
                expected["incorrect"],
            )
            assert got.tokens_in == expected["tokens_in"]
            assert got.cost_usd == expected["cost"]
            assert got.unjudged_count == expected["unjudged"]
            p95 = got.latency_percentile(0.95)
            low, high = latency.bucket_range(latency.bucket_index(expected["p95"]))
            assert low - 1e-9 <= p95 <= high + 1e-9
            assert abs(p95 - expected["p95"]) <= max(
                latency.RELATIVE_ERROR * expected["p95"], latency.FIRST_BOUND_MS
            )


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.lists(row, min_size=1, max_size=40), late=st.lists(row, max_size=10))
def test_rollups_equal_raw_aggregation_for_every_period(first, late):
    InferenceLog.objects.all().delete()
    MetricRollup.objects.all().delete()
    RollupWatermark.objects.all().delete()
    org = OrganizationFactory()
    versions = {task: model_version(org, task) for task in TASKS}
    insert(org, versions, first)
    rollup_pending(now=NOW)
    check_every_period(org)
    # Two hours later: rows of the hours that closed since (the live ones before), and late
    # feedback on old predictions (outcomes flipped): the next run counts both.
    later = NOW + timedelta(hours=2)
    insert(org, versions, late, now=later)
    old = InferenceLog.objects.filter(organization=org).order_by("pk")[:3]
    for log in old:
        InferenceLog.objects.filter(pk=log.pk).update(
            outcome="incorrect" if log.outcome == "correct" else "correct", outcome_at=later
        )
    rollup_pending(now=later)
    check_every_period(org, now=later)


@pytest.mark.django_db
def test_a_past_window_of_whole_hours_reads_just_those_hours(settings):
    settings.AIOPS_METRICS_CACHE = True  # the cached path, invalidated by rebuilds
    org = OrganizationFactory()
    versions = {task: model_version(org, task) for task in TASKS}
    base = {"task": "category", "latency_ms": 2.0, "success": True, "outcome": "unknown"}
    base |= {"confidence": 0.9, "tokens_in": 0, "cost": Decimal(0), "label": "a"}
    # 3 rows at 09:xx, 2 at 10:xx, 1 at 11:xx (NOW is 12:34)
    rows = [base | {"minutes_ago": m} for m in (190, 200, 210, 130, 140, 80)]
    insert(org, versions, rows)
    rollup_pending(now=NOW)
    start, end = datetime(2026, 11, 30, 9, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC)
    for window_end, expected in ((end, 3), (end + timedelta(minutes=1), 5)):
        window = window_for(period="day", now=NOW, start=start, end=window_end)
        grouped = totals_by(tallies(organization_id=org.pk, window=window), 1)
        assert grouped[("category",)].inferences == expected
    # A late outcome on a 09:xx prediction: the cached read of 09:00-10:00 is retired.
    log = InferenceLog.objects.filter(organization=org).order_by("created_at").first()
    InferenceLog.objects.filter(pk=log.pk).update(outcome="correct", outcome_at=NOW)
    rollup_pending(now=NOW + timedelta(seconds=5))
    window = window_for(period="day", now=NOW, start=start, end=end)
    assert totals_by(tallies(organization_id=org.pk, window=window), 1)[("category",)].correct == 1
