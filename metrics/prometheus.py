"""The Prometheus exposition: computed from the database at scrape time (rollups plus the live
hours), so every process and host answers the same. Labels are bounded: organization, task,
model version (plus an outcome, trigger or status from fixed choices), never user text."""

from django.db.models import Count
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from aiops.models import Organization
from metrics import latency
from metrics.report import MetricsQuery, metrics_report
from metrics.selectors import tallies, totals_by, window_for
from models_registry.models import ModelVersion
from training.choices import ValidationStatus
from training.models import TrainingExample, TrainingRun

VERSION_LABELS = ["organization", "task", "model_version"]


def _families() -> dict:
    def counter(name, doc, extra=()):
        return CounterMetricFamily(f"aiops_{name}", doc, labels=[*VERSION_LABELS, *extra])

    def gauge(name, doc, labels=VERSION_LABELS):
        return GaugeMetricFamily(f"aiops_{name}", doc, labels=labels)

    return {
        "predictions": counter("predictions", "Predictions served (all time)."),
        "errors": counter("prediction_errors", "Predictions that failed (all time)."),
        "feedback": counter("feedback_outcomes", "Judged predictions by outcome.", ["outcome"]),
        "cost": counter("cost_usd", "Inference cost in US dollars (all time)."),
        "tokens": counter("tokens", "Tokens (all time).", ["direction"]),
        "latency": HistogramMetricFamily(
            "aiops_inference_latency_seconds",
            "Inference latency (all time), in the rollups' fixed buckets.",
            labels=VERSION_LABELS,
        ),
        "accuracy": gauge("accuracy_ratio", "Accuracy from feedback over the last day."),
        "estimated": gauge(
            "accuracy_estimated_ratio",
            "Label-free accuracy estimate (CBPE) of the last day's predictions without feedback.",
        ),
        "js": gauge("prediction_drift_js_distance", "Predicted classes vs training labels."),
        "psi": gauge("confidence_drift_psi", "Confidences vs the holdout's (PSI)."),
        "health": gauge(
            "health_score", "System health 0..100 (absent: no data).", ["organization"]
        ),
        "queue": gauge(
            "review_queue_examples", "Training examples pending review.", ["organization", "task"]
        ),
        "runs": CounterMetricFamily(
            "aiops_training_runs",
            "Training runs by trigger and status.",
            labels=["organization", "task", "trigger", "status"],
        ),
    }


def _histogram_buckets(counts: list[int]) -> list[tuple[str, int]]:
    buckets, running = [], 0
    for bound, count in zip(latency.BUCKET_BOUNDS_MS, counts, strict=False):
        running += count
        buckets.append((repr(bound / 1000), running))
    buckets.append(("+Inf", sum(counts)))
    return buckets


def _organization(families: dict, organization, versions: dict, now) -> None:
    slug = organization.slug
    everything = totals_by(
        tallies(organization_id=organization.pk, window=window_for(period="all", now=now)), 1, 2
    )
    for (task, version_id), tally in everything.items():
        labels = [slug, task, versions.get(version_id, "")]
        families["predictions"].add_metric(labels, tally.inferences)
        families["errors"].add_metric(labels, tally.errors)
        families["feedback"].add_metric([*labels, "correct"], tally.correct)
        families["feedback"].add_metric([*labels, "incorrect"], tally.incorrect)
        families["cost"].add_metric(labels, float(tally.cost_usd))
        families["tokens"].add_metric([*labels, "in"], tally.tokens_in)
        families["tokens"].add_metric([*labels, "out"], tally.tokens_out)
        families["latency"].add_metric(
            labels, _histogram_buckets(tally.latency_histogram), tally.latency_sum_ms / 1000
        )
    day = metrics_report(organization=organization, query=MetricsQuery(period="day"), now=now)
    for entry in day["metrics"]["monitoring"]:
        labels = [slug, entry["task"], entry["version"]]
        periods = entry["accuracy_estimation"]["periods"]
        realized = [p for p in periods if p["realized"] is not None]
        for family, value in (
            ("js", entry["prediction_drift"]["js_distance"]),
            ("psi", entry["confidence_drift"]["psi"]),
            ("accuracy", _pooled(realized, "realized", "realized_on")),
            ("estimated", _pooled(periods, "estimated", "estimated_on")),
        ):
            if value is not None:
                families[family].add_metric(labels, value)
    score = day["system_health"]["score"]
    if score is not None:
        families["health"].add_metric([slug], score)


def _pooled(periods: list[dict], value: str, weight: str) -> float | None:
    total = sum(p[weight] for p in periods if p[value] is not None)
    if not total:
        return None
    return sum(p[value] * p[weight] for p in periods if p[value] is not None) / total


def exposition() -> bytes:
    """The text format of every organization's figures, read from the database now."""
    now = timezone.now()
    families = _families()
    organizations = {o.pk: o for o in Organization.objects.all()}
    versions = {v.pk: v.version for v in ModelVersion.objects.only("major", "minor", "patch")}
    for organization in organizations.values():
        _organization(families, organization, versions, now)
    pending = TrainingExample.objects.filter(validation_status=ValidationStatus.PENDING)
    for row in pending.values("organization_id", "task").annotate(n=Count("pk")):
        slug = organizations[row["organization_id"]].slug
        families["queue"].add_metric([slug, row["task"]], row["n"])
    runs = TrainingRun.objects.values("organization_id", "task", "trigger", "status")
    for row in runs.annotate(n=Count("pk")):
        slug = organizations[row["organization_id"]].slug
        families["runs"].add_metric([slug, row["task"], row["trigger"], row["status"]], row["n"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(families))
    return generate_latest(registry)


class _Collector:
    def __init__(self, families: dict):
        self.families = families

    def collect(self):
        yield from self.families.values()
