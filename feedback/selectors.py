"""Reads of the feedback app: the feedback list and the feedback statistics.

Statistics are aggregate queries only: one each for the totals, the breakdown by operation
type, by model version and the timeline, plus the registry's `accuracy_by` (the one definition
of accuracy, grouped) once by task and once by the model versions listed: a fixed number of
queries however many model versions there are."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Trunc

from aiops.exceptions import InvalidInput
from aiops.models import Organization
from feedback.choices import OPERATION_TASK, FeedbackValue, OperationType, Period
from feedback.models import Feedback
from models_registry import semver
from models_registry.selectors import Accuracy, accuracy_by, inference_log_list

COUNTS = {
    "total": Count("pk"),
    **{
        value: Count("pk", filter=Q(feedback=value))
        for value in (FeedbackValue.POSITIVE, FeedbackValue.NEGATIVE, FeedbackValue.NEUTRAL)
    },
}
NONE_JUDGED = Accuracy(correct=0, incorrect=0)  # a group without logs is absent from accuracy_by
TRUNC_KIND = {Period.HOUR: "hour", Period.DAY: "day", Period.WEEK: "week", Period.MONTH: "month"}


def feedback_list(*, organization: Organization) -> QuerySet[Feedback]:
    return Feedback.objects.filter(organization=organization)


def model_version_q(value: str, *, prefix: str = "") -> Q:
    """A model version filter: its id ("12") or its version ("v1.2.0", every task's)."""
    value = str(value).strip()
    if value.isdigit():
        return Q(**{f"{prefix}model_version_id": int(value)})
    try:
        major, minor, patch = semver.parse(value)
    except ValueError:
        message = f"{value!r} is neither a model version id nor a version like v1.2.0."
        raise InvalidInput(message, fields={"model_version": [message]}) from None
    return Q(
        **{
            f"{prefix}model_version__major": major,
            f"{prefix}model_version__minor": minor,
            f"{prefix}model_version__patch": patch,
        }
    )


@dataclass(frozen=True)
class FeedbackStatsQuery:
    period: str = Period.DAY
    operation_type: str | None = None
    model_version: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def _rates(counts: dict) -> dict:
    total = counts["total"]
    out = dict(counts)
    for value in FeedbackValue.values:
        out[f"{value}_rate"] = counts[value] / total if total else None
    return out


def _accuracy_dict(result: Accuracy) -> dict:
    return {
        "correct": result.correct,
        "incorrect": result.incorrect,
        "judged": result.judged,
        "accuracy": result.accuracy,
    }


def feedback_stats(*, organization: Organization, query: FeedbackStatsQuery) -> dict:
    """Totals and rates, accuracy per operation type (the organization's), breakdowns by
    operation type and model version, and a timeline bucketed by `query.period`.

    Feedback is filtered on its creation time; accuracy on the inference logs' creation time
    (when the predictions were made), both within the same range."""
    feedback = feedback_list(organization=organization)
    logs = inference_log_list(organization=organization)
    if query.created_after is not None:
        feedback = feedback.filter(created_at__gte=query.created_after)
        logs = logs.filter(created_at__gte=query.created_after)
    if query.created_before is not None:
        feedback = feedback.filter(created_at__lt=query.created_before)
        logs = logs.filter(created_at__lt=query.created_before)
    if query.model_version:
        feedback = feedback.filter(model_version_q(query.model_version))
        logs = logs.filter(model_version_q(query.model_version))
    types = OperationType.values
    if query.operation_type:
        feedback = feedback.filter(operation_type=query.operation_type)
        types = [query.operation_type]

    totals = _rates(feedback.aggregate(**COUNTS))
    task_accuracy = accuracy_by(
        logs=logs.filter(task__in=[OPERATION_TASK[t] for t in types]), fields=("task",)
    )
    by_task = {
        t: _accuracy_dict(task_accuracy.get((OPERATION_TASK[t],), NONE_JUDGED)) for t in types
    }
    classification = by_task.get(OperationType.CLASSIFICATION)
    totals["acceptance_rate"] = classification["accuracy"] if classification else None

    by_type = [
        {**_rates(row), "accuracy": by_task[row["operation_type"]]}
        for row in feedback.values("operation_type").annotate(**COUNTS).order_by("operation_type")
    ]
    version_rows = list(
        feedback.values(
            "model_version_id",
            "model_version__task",
            "model_version__major",
            "model_version__minor",
            "model_version__patch",
        )
        .annotate(**COUNTS)
        .order_by("model_version__task", "model_version_id")
    )
    version_accuracy = accuracy_by(
        logs=logs.filter(model_version_id__in=[row["model_version_id"] for row in version_rows]),
        fields=("model_version_id",),
    )
    by_version = []
    for row in version_rows:
        version_id = row.pop("model_version_id")
        parts = (row.pop(f"model_version__{p}") for p in ("major", "minor", "patch"))
        task = row.pop("model_version__task")
        by_version.append(
            {
                "model_version_id": version_id,
                "model_version": semver.render(tuple(parts)),
                "task": task,
                **_rates(row),
                "accuracy": _accuracy_dict(version_accuracy.get((version_id,), NONE_JUDGED)),
            }
        )

    if query.period == Period.ALL:
        timeline = [{"period_start": None, **totals}]
        timeline[0].pop("acceptance_rate")
    else:
        bucket = Trunc("created_at", TRUNC_KIND[query.period])
        timeline = [
            _rates(row)
            for row in feedback.annotate(period_start=bucket)
            .values("period_start")
            .annotate(**COUNTS)
            .order_by("period_start")
        ]
    return {
        "organization": organization.slug,
        "period": query.period,
        "totals": totals,
        "accuracy": by_task,
        "by_operation_type": by_type,
        "by_model_version": by_version,
        "timeline": timeline,
    }
