"""The metrics API's answer: figures per operation, cost, label-free accuracy estimates, drift,
and the system's health built on the registry's per-version health."""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from metrics import drift, estimation, latency
from metrics.selectors import (
    TIMELINE_BUCKET,
    VersionFacts,
    Window,
    live_from_for,
    live_signature,
    tallies,
    totals_by,
    version_facts,
    window_for,
)
from metrics.services import rollup_generation
from metrics.tally import Tally
from models_registry.choices import CLASSIFIER_TASKS
from models_registry.models import ModelVersion
from models_registry.selectors.stats import Accuracy, health_status, model_version_health_list
from training.choices import RunTrigger
from training.selectors import retrain_facts, retrain_policy_get
from training.triggers import should_retrain

HEALTH_CACHE_SECONDS = 30
HEALTH_STALE_SECONDS = 600  # how long a snapshot may serve while one request recomputes it


@dataclass(frozen=True)
class MetricsQuery:
    period: str = "day"
    start: datetime | None = None
    end: datetime | None = None
    task: str | None = None
    model_version: ModelVersion | None = None
    include_details: bool = False


def _rate(part, whole) -> float | None:
    return round(part / whole, 6) if whole else None


def _round(value, digits: int = 6):
    return None if value is None else round(value, digits)


def _distribution(counts) -> list[dict]:
    # A list, not a dict: labels are data, and the camelCase renderer would rewrite dict keys.
    return [{"label": label, "count": n} for label, n in sorted(counts.items())]


def _processing_time(tally: Tally) -> dict:
    return {
        "p50": _round(tally.latency_percentile(0.5), 3),
        "p95": _round(tally.latency_percentile(0.95), 3),
        "average": _round(_rate(tally.latency_sum_ms, tally.inferences), 3),
        "percentile_relative_error": round(latency.RELATIVE_ERROR, 4),
    }


def _classifier(tally: Tally) -> dict:
    judged = Accuracy(correct=tally.correct, incorrect=tally.incorrect)
    return {
        "total": tally.inferences,
        "judged": judged.judged,
        "correct": judged.correct,
        "accuracy": _round(judged.accuracy),
        "estimated_accuracy": _round(
            estimation.cbpe_accuracy(
                confidence_sum=tally.unjudged_expected_correct, n=tally.unjudged_count
            )
        ),
        "estimated_on": tally.unjudged_count,
        "average_confidence": _round(tally.average_confidence),
        "processing_time_ms": _processing_time(tally),
        "tokens": {"input": tally.tokens_in, "output": tally.tokens_out},
        "errors": tally.errors,
        "error_rate": _round(tally.error_rate),
    }


def _suggestion(tally: Tally) -> dict:
    judged = Accuracy(correct=tally.correct, incorrect=tally.incorrect)
    return {
        "total": tally.inferences,
        "used": tally.used,
        "usage_rate": _rate(tally.used, tally.inferences),
        "judged": judged.judged,
        "helpful": judged.correct,
        "helpfulness_rate": _round(judged.accuracy),
        "processing_time_ms": _processing_time(tally),
        "error_rate": _round(tally.error_rate),
    }


def _cost(tally: Tally) -> dict:
    cost = float(tally.cost_usd)
    return {
        "tokens_in": tally.tokens_in,
        "tokens_out": tally.tokens_out,
        "totalCostUSD": round(cost, 6),
        "cost_per_inference": _rate(cost, tally.inferences),
        "cost_per_correct_prediction": _rate(cost, tally.correct),
    }


def _drift(version: VersionFacts, tally: Tally) -> dict:
    """Both drift signals against the version's reference; below AIOPS_DRIFT_MIN_PREDICTIONS
    predictions the distances are shown but their level is `insufficient_data` (two
    predictions always look drifted), so they flag nothing."""
    reference = version.reference
    labels = drift.js_distance(reference.get("label_distribution") or {}, tally.label_counts)
    psi = None
    if reference.get("confidence_counts") and tally.confidence_bins:
        psi = drift.psi(reference["confidence_counts"], tally.confidence_bins)
    enough = tally.inferences >= settings.AIOPS_DRIFT_MIN_PREDICTIONS
    result = {
        "prediction_drift": {
            "js_distance": _round(labels),
            "level": drift.js_level(
                labels, warn=settings.AIOPS_DRIFT_JS_WARN, alert=settings.AIOPS_DRIFT_JS_ALERT
            ),
            "warn": settings.AIOPS_DRIFT_JS_WARN,
            "alert": settings.AIOPS_DRIFT_JS_ALERT,
        },
        "confidence_drift": {
            "psi": _round(psi),
            "level": drift.psi_level(
                psi,
                moderate=settings.AIOPS_DRIFT_PSI_MODERATE,
                major=settings.AIOPS_DRIFT_PSI_MAJOR,
            ),
            "moderate": settings.AIOPS_DRIFT_PSI_MODERATE,
            "major": settings.AIOPS_DRIFT_PSI_MAJOR,
        },
    }
    for signal in result.values():
        signal["minimum_predictions"] = settings.AIOPS_DRIFT_MIN_PREDICTIONS
        if not enough and signal["level"] != "no_data":
            signal["level"] = "insufficient_data"
    return result


def _estimation(version: VersionFacts, buckets: list[tuple]) -> dict:
    """Estimated (from confidences without feedback) beside realized accuracy per period."""
    reference_accuracy = version.accuracy
    calibrated = bool(version.reference.get("confidence_accuracy"))
    periods = [
        estimation.period_estimate(
            start=start.isoformat() if start else "",
            confidence_sum=tally.unjudged_expected_correct,
            estimated_n=tally.unjudged_count,
            correct=tally.correct,
            judged=tally.correct + tally.incorrect,
            reference_accuracy=reference_accuracy,
            reference_n=version.reference.get("n") if calibrated else None,
        )
        for start, tally in buckets
    ]
    return {
        "reference_accuracy": reference_accuracy,
        "method": "holdout-binned calibration" if calibrated else "mean confidence",
        "concept_drift": estimation.concept_drift(periods),
        "periods": [
            {
                "period_start": p.start or None,
                "estimated": _round(p.estimated),
                "estimated_on": p.estimated_n,
                "realized": _round(p.realized),
                "realized_on": p.realized_n,
                "band": [_round(p.lower), _round(p.upper)] if p.lower is not None else None,
                "outside_band": p.outside_band,
            }
            for p in periods
        ],
    }


def _monitoring(
    by_bucket: dict[tuple, Tally],
    per_task_version: dict[tuple, Tally],
    versions: dict[int, VersionFacts],
) -> list[dict]:
    """Drift and label-free accuracy per classifier version that served in the window."""
    periods: dict[int, list] = defaultdict(list)
    for (start, _, version_id), tally in by_bucket.items():
        periods[version_id].append((start, tally))
    report = []
    for (task, version_id), tally in sorted(per_task_version.items(), key=lambda kv: kv[0]):
        if task not in CLASSIFIER_TASKS or version_id not in versions:
            continue
        version = versions[version_id]
        buckets = sorted(periods[version_id], key=lambda pair: pair[0] or datetime.min)
        report.append(
            {
                "task": task,
                "version": version.version,
                "inferences": tally.inferences,
                **_drift(version, tally),
                "accuracy_estimation": _estimation(version, buckets),
            }
        )
    return report


def _timeline(by_bucket: dict[tuple, Tally]) -> list[dict]:
    rows = []
    per_bucket_task = totals_by(by_bucket, 0, 1)
    for (start,), tally in sorted(totals_by(per_bucket_task, 0).items(), key=lambda kv: kv[0]):
        classification = per_bucket_task.get((start, "category")) or Tally()
        figures = _classifier(classification)
        rows.append(
            {
                "period_start": start,
                "inferences": tally.inferences,
                "error_rate": _round(tally.error_rate),
                "latency_p95_ms": _round(tally.latency_percentile(0.95), 3),
                "cost_usd": round(float(tally.cost_usd), 6),
                "classification": {
                    "total": classification.inferences,
                    "accuracy": figures["accuracy"],
                    "estimated_accuracy": figures["estimated_accuracy"],
                },
            }
        )
    return rows


def _slow_health(organization) -> dict:
    """The registry's health of each serving version and the retrain policy's verdicts: read
    from the raw logs, so cached, and recomputed HEALTH_CACHE_SECONDS after by one request
    while the others go on with the last snapshot (no stampede on the raw logs)."""
    key = f"metrics:health:{organization.pk}"
    health = cache.get(key)
    stale = health is None or time.time() - health["computed_at"] > HEALTH_CACHE_SECONDS
    if stale and (health is None or cache.add(f"{key}:refresh", 1, HEALTH_CACHE_SECONDS)):
        health = {
            "versions": model_version_health_list(organization=organization),
            "retrain": retrain_recommendations(organization=organization),
            "computed_at": time.time(),
        }
        cache.set(key, health, HEALTH_STALE_SECONDS)
        cache.delete(f"{key}:refresh")
    return health


def serving_health(*, organization) -> list[dict]:
    """The registry's health of each serving version (task, version, role, traffic share,
    status, score, issues, stats over its whole traffic): the snapshot system_health reads."""
    return _slow_health(organization)["versions"]


DRIFT_PENALTY = {"warn": 5, "alert": 15, "moderate": 5, "major": 15}


def system_health(*, organization, monitoring: list[dict]) -> dict:
    """The registry's health of every serving version, weighted by its share of traffic, less
    penalties for drift and concept drift seen in the window; each issue with what to do.
    The registry's part is a snapshot about HEALTH_CACHE_SECONDS old (see _slow_health)."""
    slow = _slow_health(organization)
    versions = [h for h in slow["versions"] if h["score"] is not None]
    issues, recommendations = [], []
    for health in slow["versions"]:
        where = f"{health['task']} {health['version']} ({health['role']}, "
        where += f"{health['traffic_percentage']:g}% of traffic)"
        issues += [f"{where}: {issue}" for issue in health["issues"]]
        recommendations += [f"{where}: {r}" for r in health["recommendations"]]
    weights = sum(h["traffic_percentage"] for h in versions)
    if versions:
        score = (
            sum(h["score"] * h["traffic_percentage"] for h in versions) / weights
            if weights
            else min(h["score"] for h in versions)
        )
    else:
        score = None
    penalty = 0
    for entry in monitoring:
        where = f"{entry['task']} {entry['version']}"
        labels, confidence = entry["prediction_drift"], entry["confidence_drift"]
        if labels["level"] in DRIFT_PENALTY:
            penalty += DRIFT_PENALTY[labels["level"]]
            issues.append(
                f"{where}: predicted-class drift, Jensen-Shannon distance "
                f"{labels['js_distance']:.3f} >= {labels[labels['level']]} against the "
                f"training labels over {entry['inferences']:,} predictions"
            )
            recommendations.append(
                f"{where}: the mix of predicted classes moved: review recent tickets' labels "
                "and retrain on recent data."
            )
        if confidence["level"] in DRIFT_PENALTY:
            penalty += DRIFT_PENALTY[confidence["level"]]
            issues.append(
                f"{where}: confidence drift, PSI {confidence['psi']:.3f} >= "
                f"{confidence[confidence['level']]} against the holdout's confidences"
            )
            recommendations.append(
                f"{where}: inputs differ from the training data: retrain with recent tickets."
            )
        if entry["accuracy_estimation"]["concept_drift"]:
            penalty += 20
            issues.append(
                f"{where}: realized accuracy outside the estimate's band for two periods "
                "running (concept drift)"
            )
            recommendations.append(
                f"{where}: the meaning of the labels changed: relabel recent examples and retrain."
            )
    recommendations += slow["retrain"]
    if score is None:
        return {
            "status": "no_data",
            "score": None,
            "issues": issues or ["No version has served traffic yet."],
            "recommendations": recommendations,
        }
    score = max(round(score - penalty), 0)
    return {
        "status": health_status(score),
        "score": score,
        "issues": issues,
        "recommendations": recommendations,
    }


def retrain_recommendations(*, organization) -> list[str]:
    """Where the retrain policy's accuracy trigger holds (training's own `should_retrain`):
    the figures, and what is ready."""
    recommendations = []
    now = timezone.now()
    for task in CLASSIFIER_TASKS:
        policy = retrain_policy_get(organization=organization, task=task)
        facts = retrain_facts(organization=organization, task=task, policy=policy, now=now)
        for reason in should_retrain(policy=policy, facts=facts, now=now):
            if reason.trigger == RunTrigger.ACCURACY:
                recommendations.append(
                    f"{task}: accuracy {facts.accuracy:.2f} < {policy.accuracy_threshold:.2f} "
                    f"over {facts.judged:,} judged predictions: retrain; "
                    f"{facts.new_examples:,} newly validated examples are ready"
                )
    return recommendations


def metrics_report_cached(*, organization, query: MetricsQuery, now: datetime) -> dict:
    """`metrics_report`, from the cache while nothing under it changed: the key holds the
    rollup generation, where the live hours start, the live rows' signature and the health
    snapshot's time, so a new inference, outcome or rebuild computes a new answer. Only where
    the cache is shared (AIOPS_METRICS_CACHE); `to` is always now."""
    if not settings.AIOPS_METRICS_CACHE:
        return metrics_report(organization=organization, query=query, now=now)
    window = window_for(period=query.period, now=now, start=query.start, end=query.end)
    live_from = live_from_for(window)
    version_id = query.model_version.pk if query.model_version else None
    parts = (
        "metrics:report",
        organization.pk,
        rollup_generation(organization.pk),
        int(live_from.timestamp()),
        *live_signature(
            organization_id=organization.pk,
            start=live_from,
            end=window.end,
            task=query.task,
            version_id=version_id,
        ),
        _slow_health(organization)["computed_at"],
        query.period,
        window.start and int(window.start.timestamp()),
        query.end and int(window.end.timestamp()),
        query.task,
        version_id,
        query.include_details,
    )
    key = ":".join(str(part) for part in parts)
    report = cache.get(key)
    if report is None:
        report = metrics_report(organization=organization, query=query, now=now)
        cache.set(key, report, HEALTH_CACHE_SECONDS)
    return {**report, "to": window.end}


def metrics_report(*, organization, query: MetricsQuery, now: datetime) -> dict:
    window: Window = window_for(period=query.period, now=now, start=query.start, end=query.end)
    bucket = TIMELINE_BUCKET[query.period]
    by_bucket = tallies(
        organization_id=organization.pk,
        window=window,
        task=query.task,
        version_id=query.model_version.pk if query.model_version else None,
        bucket=bucket,
    )
    per_task_version = totals_by(by_bucket, 1, 2)
    per_task = totals_by(per_task_version, 0)
    per_version = totals_by(per_task_version, 1)
    versions = version_facts([v for (v,) in per_version])
    everything = Tally.total(list(per_task.values()))

    def task_tally(task: str) -> Tally:
        return per_task.get((task,)) or Tally()

    monitoring = _monitoring(by_bucket, per_task_version, versions)
    cost = _cost(everything)
    cost["by_model_version"] = [
        {"task": versions[v].task, "version": versions[v].version, "inferences": t.inferences}
        | _cost(t)
        for (v,), t in sorted(per_version.items())
        if v in versions
    ]
    report = {
        "period": query.period,
        "from": window.start,
        "to": window.end,
        "metrics": {
            "classification": _classifier(task_tally("category")),
            "priority": _classifier(task_tally("priority")),
            "sentiment": {
                **_classifier(task_tally("sentiment")),
                "distribution": _distribution(task_tally("sentiment").label_counts),
            },
            "suggestion": _suggestion(task_tally("suggestion")),
            "cost": cost,
            "monitoring": monitoring,
        },
        "system_health": system_health(organization=organization, monitoring=monitoring),
    }
    if query.include_details:
        report["details"] = {
            "distributions": {
                "category": _distribution(task_tally("category").label_counts),
                "priority": _distribution(task_tally("priority").label_counts),
                "sentiment": _distribution(task_tally("sentiment").label_counts),
                "operation_type": [
                    {"label": task, "count": t.inferences}
                    for (task,), t in sorted(per_task.items())
                ],
            },
            "timeline": _timeline(by_bucket) if bucket else [],
        }
    return report


EXPORT_COLUMNS = (
    "period_start",
    "task",
    "version",
    "inferences",
    "errors",
    "judged",
    "correct",
    "accuracy",
    "estimated_accuracy",
    "average_confidence",
    "latency_p50_ms",
    "latency_p95_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
)


def metrics_export_rows(*, organization, query: MetricsQuery, now: datetime):
    """One row per timeline bucket, task and version (as EXPORT_COLUMNS), for CSV export."""
    window = window_for(period=query.period, now=now, start=query.start, end=query.end)
    by_bucket = tallies(
        organization_id=organization.pk,
        window=window,
        task=query.task,
        version_id=query.model_version.pk if query.model_version else None,
        bucket=TIMELINE_BUCKET[query.period] or "hour",
    )
    versions = version_facts({key[2] for key in by_bucket})
    for (start, task, version_id), tally in sorted(by_bucket.items(), key=lambda kv: kv[0]):
        figures = _classifier(tally)
        yield (
            start.isoformat(),
            task,
            versions[version_id].version if version_id in versions else "",
            tally.inferences,
            tally.errors,
            figures["judged"],
            figures["correct"],
            figures["accuracy"],
            figures["estimated_accuracy"],
            figures["average_confidence"],
            figures["processing_time_ms"]["p50"],
            figures["processing_time_ms"]["p95"],
            tally.tokens_in,
            tally.tokens_out,
            round(float(tally.cost_usd), 6),
        )
