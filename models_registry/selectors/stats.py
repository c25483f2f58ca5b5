"""Serving statistics: accuracy, latency, version stats/health/comparison, shadow report."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Q, QuerySet, Sum

from models_registry.choices import Outcome
from models_registry.models import (
    ABTest,
    InferenceLog,
    ModelVersion,
    ShadowDeployment,
    ShadowPrediction,
)
from models_registry.selectors.traffic import Serving, candidate_since, serving_list


@dataclass(frozen=True)
class Accuracy:
    correct: int
    incorrect: int

    @property
    def judged(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.judged if self.judged else None


def _outcome_counts() -> dict:
    return {
        "correct": Count("pk", filter=Q(outcome=Outcome.CORRECT)),
        "incorrect": Count("pk", filter=Q(outcome=Outcome.INCORRECT)),
    }


def accuracy(*, logs: QuerySet[InferenceLog]) -> Accuracy:
    """The one definition of accuracy: correct / (correct + incorrect) over judged outcomes."""
    counts = logs.aggregate(**_outcome_counts())
    return Accuracy(correct=counts["correct"], incorrect=counts["incorrect"])


def accuracy_by(*, logs: QuerySet[InferenceLog], fields: tuple[str, ...]) -> dict[tuple, Accuracy]:
    """`accuracy` for each group of `fields`, in one query (groups without logs are absent)."""
    rows = logs.values(*fields).annotate(**_outcome_counts())
    return {
        tuple(row[f] for f in fields): Accuracy(correct=row["correct"], incorrect=row["incorrect"])
        for row in rows
    }


def ab_test_arm_counts(*, ab_test: ABTest) -> dict[str, dict]:
    """Per arm: inferences routed, and the judged outcomes (through `accuracy`)."""
    logs = InferenceLog.objects.filter(ab_test=ab_test)
    arms = {}
    for arm in ("A", "B"):
        arm_logs = logs.filter(arm=arm)
        arms[arm] = {"inferences": arm_logs.count(), "accuracy": accuracy(logs=arm_logs)}
    return arms


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont (linear interpolation between the closest ranks)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


def latency_percentile(*, logs: QuerySet[InferenceLog], percentile: float = 0.95) -> float | None:
    """percentile_cont in SQL on PostgreSQL; elsewhere the same interpolation from the (at most
    two) rows around the rank, fetched by an indexed ORDER BY ... LIMIT 2."""
    if connection.vendor == "postgresql":
        return logs.aggregate(p=Percentile("latency_ms", percentile=percentile))["p"]
    n = logs.count()
    if n == 0:
        return None
    rank = (n - 1) * percentile
    low = math.floor(rank)
    values = list(logs.order_by("latency_ms").values_list("latency_ms", flat=True)[low : low + 2])
    if len(values) == 1:
        return float(values[0])
    return float(values[0] + (values[1] - values[0]) * (rank - low))


def model_version_stats(*, version: ModelVersion, since: datetime | None = None) -> dict:
    """Aggregate figures of one version's inference logs (one query, plus one for p95)."""
    logs = InferenceLog.objects.filter(model_version=version)
    if since is not None:
        logs = logs.filter(created_at__gte=since)
    row = logs.aggregate(
        total=Count("pk"),
        errors=Count("pk", filter=Q(success=False)),
        avg_latency_ms=Avg("latency_ms"),
        avg_confidence=Avg("confidence"),
        total_cost=Sum("cost_usd"),
        tokens_in=Sum("tokens_in"),
        tokens_out=Sum("tokens_out"),
    )
    total = row["total"]
    judged = accuracy(logs=logs)
    cost = float(row["total_cost"] or 0)
    return {
        "total_inferences": total,
        "avg_latency_ms": row["avg_latency_ms"],
        "p95_latency_ms": latency_percentile(logs=logs) if total else None,
        "avg_confidence": row["avg_confidence"],
        "success_rate": (total - row["errors"]) / total if total else None,
        "error_rate": row["errors"] / total if total else None,
        "total_cost_usd": cost,
        "cost_per_inference_usd": cost / total if total else None,
        "tokens_in": row["tokens_in"] or 0,
        "tokens_out": row["tokens_out"] or 0,
        "judged": judged.judged,
        "accuracy": judged.accuracy,
    }


def promotion_evidence(
    *, deployment, candidate: ModelVersion, ab_test: ABTest | None = None
) -> dict:
    """The candidate's measured accuracy (`accuracy`) against its control's on the same
    traffic: an A/B test's two arms, or a canary / gradual candidate's logs against the
    stable version's since its candidacy began (A/B traffic aside). Anything else has not
    served beside the stable version: nothing measured (judged 0)."""
    control = deployment.model_version if deployment is not None else None
    candidate_logs = control_logs = InferenceLog.objects.none()
    measured_on = "nothing: it has not served beside the stable version"
    if ab_test is not None:
        arm = "B" if ab_test.version_b_id == candidate.pk else "A"
        control = ab_test.version_a if arm == "B" else ab_test.version_b
        logs = InferenceLog.objects.filter(ab_test=ab_test)
        candidate_logs, control_logs = logs.filter(arm=arm), logs.exclude(arm=arm)
        measured_on = f"A/B test {ab_test.pk}"
    elif deployment is not None and deployment.candidate_version_id == candidate.pk:
        since = candidate_since(deployment=deployment)
        logs = InferenceLog.objects.filter(
            organization=deployment.organization_id,
            task=deployment.task,
            created_at__gte=since,
            ab_test__isnull=True,
        )
        candidate_logs = logs.filter(model_version=candidate)
        control_logs = logs.filter(model_version=control)
        measured_on = f"its traffic since {since.isoformat()}"

    def side(version, logs) -> dict:
        measured = accuracy(logs=logs)
        return {
            "version": version.version if version else None,
            "accuracy": measured.accuracy,
            "judged": measured.judged,
        }

    return {
        "candidate": side(candidate, candidate_logs),
        "control": side(control, control_logs),
        "measured_on": measured_on,
    }


HEALTH_MIN_JUDGED = 30
HEALTHY_SCORE, DEGRADED_SCORE = 85, 60


def health_status(score: float) -> str:
    """The status of a 0..100 health score (the one rule, for versions and whole systems)."""
    return (
        "healthy"
        if score >= HEALTHY_SCORE
        else "degraded"
        if score >= DEGRADED_SCORE
        else "unhealthy"
    )


def model_version_health_list(
    *, organization, task: str | None = None, version: ModelVersion | None = None
) -> list[dict]:
    """Health of the given version, or else of every version that serves (`serving_list`:
    stable, canary / gradual candidate, A/B arms, shadow) of the organization, optionally
    of one task; each with its role and share of the traffic."""
    entries = serving_list(organization=organization, task=task or (version and version.task))
    if version is not None:
        part = next((e for e in entries if e.version.pk == version.pk and e.serves), None)
        return [_with_role(model_version_health(version=version), part)]
    health, seen = [], set()
    for entry in entries:
        if entry.serves and entry.version.pk not in seen:
            seen.add(entry.version.pk)
            health.append(_with_role(model_version_health(version=entry.version), entry))
    return health


def _with_role(health: dict, entry: Serving | None) -> dict:
    return {
        **health,
        "role": entry.role if entry else None,
        "traffic_percentage": entry.traffic_percentage if entry else 0.0,
    }


def model_version_health(*, version: ModelVersion, since: datetime | None = None) -> dict:
    """A 0..100 score from accuracy, error rate, p95 latency, confidence and feedback volume;
    >= 85 healthy, >= 60 degraded, else unhealthy; with what to do about each issue. A
    version without inferences has no health yet: status "no_data", score None."""
    stats = model_version_stats(version=version, since=since)
    if not stats["total_inferences"]:
        return {
            "version": version.version,
            "task": version.task,
            "status": "no_data",
            "score": None,
            "issues": [f"{version.version} has no inferences yet: it has served no traffic."],
            "recommendations": [
                "Health is measured on traffic: wait for requests, or give it some with a "
                "canary or an A/B test."
            ],
            "stats": stats,
        }
    score, issues, recommendations = 100, [], []

    def penalize(points: int, issue: str, recommendation: str) -> None:
        nonlocal score
        score -= points
        issues.append(issue)
        recommendations.append(recommendation)

    acc, judged = stats["accuracy"], stats["judged"]
    if acc is not None and judged >= HEALTH_MIN_JUDGED:
        if acc < 0.8:
            penalize(
                40,
                f"accuracy {acc:.1%} is below 80%",
                "Retrain on recent feedback or roll back to the previous version.",
            )
        elif acc < 0.9:
            penalize(
                20,
                f"accuracy {acc:.1%} is below 90%",
                "Review recent corrections and schedule a retrain.",
            )
    else:
        penalize(
            5,
            f"only {judged} predictions have feedback",
            "Collect more agent feedback so accuracy can be measured.",
        )
    error_rate = stats["error_rate"]
    if error_rate is not None and error_rate > 0.05:
        penalize(
            40,
            f"error rate {error_rate:.1%} is above 5%",
            "Inspect the inference errors (provider outages, timeouts) and consider a rollback.",
        )
    elif error_rate is not None and error_rate > 0.01:
        penalize(15, f"error rate {error_rate:.1%} is above 1%", "Watch the inference errors.")
    p95 = stats["p95_latency_ms"]
    if p95 is not None and p95 > 1000:
        penalize(
            25,
            f"p95 latency {p95:.0f} ms is above 1000 ms",
            "Scale out the workers or use a faster estimator.",
        )
    elif p95 is not None and p95 > 300:
        penalize(10, f"p95 latency {p95:.0f} ms is above 300 ms", "Check worker load.")
    confidence = stats["avg_confidence"]
    if confidence is not None and confidence < 0.5:
        penalize(
            15,
            f"average confidence {confidence:.2f} is below 0.5",
            "The inputs may have drifted from the training data: retrain with recent tickets.",
        )
    score = max(score, 0)
    status = health_status(score)
    return {
        "version": version.version,
        "task": version.task,
        "status": status,
        "score": score,
        "issues": issues,
        "recommendations": recommendations,
        "stats": stats,
    }


def model_version_compare(*, version_a: ModelVersion, version_b: ModelVersion) -> dict:
    """Two versions side by side: holdout metrics, live stats, and B - A differences."""
    sides = {}
    for name, version in (("a", version_a), ("b", version_b)):
        sides[name] = {
            "version": version.version,
            "task": version.task,
            "status": version.status,
            "kind": version.kind,
            "holdout_metrics": version.metrics,
            "stats": model_version_stats(version=version),
        }

    def delta(key: str) -> float | None:
        a, b = sides["a"]["stats"][key], sides["b"]["stats"][key]
        return None if a is None or b is None else b - a

    keys = ["accuracy", "error_rate", "p95_latency_ms", "avg_confidence", "cost_per_inference_usd"]
    return {
        "version_a": sides["a"],
        "version_b": sides["b"],
        "difference": {k: delta(k) for k in keys},
    }


def shadow_report(*, shadow: ShadowDeployment) -> dict:
    """Per class of the live answer: how often the shadow agreed with it, and on the
    predictions that got feedback, the accuracy of the shadow and of the live answer.

    The shadow is correct where the live answer was confirmed and it said the same, or where
    the live answer was corrected to the label the shadow gave; a correction without a label
    leaves the shadow unjudged. Live accuracy is the `accuracy` selector over the same logs."""
    predictions = ShadowPrediction.objects.filter(shadow=shadow)
    live = F("inference_log__predicted_label")
    confirmed = Q(inference_log__outcome=Outcome.CORRECT)
    relabelled = Q(inference_log__outcome=Outcome.INCORRECT) & ~Q(inference_log__true_label="")
    rows = list(
        predictions.values(label=live)
        .annotate(
            n=Count("pk"),
            agree=Count("pk", filter=Q(predicted_label=live)),
            judged=Count("pk", filter=confirmed | relabelled),
            correct=Count(
                "pk",
                filter=(confirmed & Q(predicted_label=live))
                | (relabelled & Q(predicted_label=F("inference_log__true_label"))),
            ),
        )
        .order_by("label")
    )
    logs = InferenceLog.objects.filter(shadow_prediction__shadow=shadow)

    def summary(n, agree, judged, correct, live_accuracy) -> dict:
        return {
            "predictions": n,
            "agreement": agree / n if n else None,
            "judged": judged,
            "shadow_accuracy": correct / judged if judged else None,
            "live_accuracy": live_accuracy.accuracy,
        }

    per_class = [
        {
            "label": row["label"],
            **summary(
                row["n"],
                row["agree"],
                row["judged"],
                row["correct"],
                accuracy(logs=logs.filter(predicted_label=row["label"])),
            ),
        }
        for row in rows
    ]
    total = {k: sum(row[k] for row in rows) for k in ("n", "agree", "judged", "correct")}
    return {
        "shadow_id": shadow.pk,
        "task": shadow.task,
        "shadow_version": shadow.model_version.version,
        "percentage": shadow.percentage,
        "active": shadow.active,
        **summary(
            total["n"], total["agree"], total["judged"], total["correct"], accuracy(logs=logs)
        ),
        "per_class": per_class,
    }
