"""Reads of the feedback app: the feedback list, the feedback statistics, and the console's
"label these" queue (at the end).

Statistics are aggregate queries only: one each for the totals, the breakdown by operation
type, by model version and the timeline, plus the registry's `accuracy_by` (the one definition
of accuracy, grouped) once by task and once by the model versions listed: a fixed number of
queries however many model versions there are."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone

from aiops.exceptions import InvalidInput
from aiops.models import Classification, Organization, SentimentAnalysis, Ticket
from aiops.services.operations import MAX_INPUT_CHARS
from feedback import ranking
from feedback.choices import OPERATION_TASK, FeedbackValue, OperationType, Period
from feedback.models import Feedback
from models_registry import semver
from models_registry.choices import Outcome, Task
from models_registry.models import InferenceLog
from models_registry.selectors import Accuracy, accuracy_by, inference_log_list
from training.labels import task_label_set

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
    if value.isdecimal():
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


# The "label these" queue of the admin console: predictions nobody has judged yet, ranked by
# expected gain (feedback.ranking). "Not judged" is the inference log's outcome, unknown: the
# feedback service writes the outcome in the transaction that writes the Feedback row, so a
# feedback that judged the prediction has set it; a feedback that names no label (neutral,
# no correction) leaves it unknown, and that prediction still wants a label.
LABEL_QUEUE_WINDOW = timedelta(days=7)  # the candidates and the classes' traffic shares
LABEL_QUEUE_ERROR_WINDOW = timedelta(days=30)  # the classes' error rates: judging lags
LABEL_QUEUE_CONSIDER = 2000  # newest unjudged predictions ranked, per task
LABEL_QUEUE_LIMIT = 50
# Where a task's prediction keeps its text: its operation record; priority has none, so its
# text is its ticket's (the routing unit of a ticket's prediction is the ticket's id).
LABEL_QUEUE_OPERATIONS = {
    Task.CATEGORY: (OperationType.CLASSIFICATION, Classification),
    Task.SENTIMENT: (OperationType.SENTIMENT, SentimentAnalysis),
}
LABEL_QUEUE_TASKS = (Task.CATEGORY, Task.PRIORITY, Task.SENTIMENT)
_LOG_FIELDS = (
    "organization_id",
    "task",
    "predicted_label",
    "confidence",
    "created_at",
    "model_version__major",
    "model_version__minor",
    "model_version__patch",
)


@dataclass(frozen=True)
class LabelQueueRow:
    inference_log_id: int
    organization_id: int
    task: str
    predicted_label: str
    confidence: float | None
    version: str
    created_at: datetime
    share: float = 0.0
    error_rate: float = 0.0
    gain: float = 0.0
    text: str = ""
    # The operation record holding the text (none for priority: its ticket holds it).
    operation_type: str = ""
    operation_id: int | None = None
    ticket_id: int | None = None
    organization_slug: str = ""
    labels: tuple[str, ...] = ()


def _unjudged(logs: QuerySet, organization_ids, prefix: str = "") -> QuerySet:
    if organization_ids is not None:
        logs = logs.filter(**{f"{prefix}organization_id__in": organization_ids})
    return logs.filter(**{f"{prefix}outcome": Outcome.UNKNOWN, f"{prefix}success": True})


def _queue_row(values: dict, prefix: str, **extra) -> LabelQueueRow:
    parts = (values[f"{prefix}model_version__{p}"] for p in ("major", "minor", "patch"))
    return LabelQueueRow(
        version=semver.render(tuple(parts)),
        **{name: values[f"{prefix}{name}"] for name in _LOG_FIELDS[:5]},
        **extra,
    )


def _label_queue_candidates(*, organization_ids, task: str, since, consider: int) -> list:
    """The newest unjudged predictions of `task` whose text can be read, without the text."""
    if task not in LABEL_QUEUE_OPERATIONS:
        logs = _unjudged(InferenceLog.objects.filter(task=task), organization_ids)
        logs = logs.filter(created_at__gte=since, unit_id__regex=r"^[0-9]{1,18}$")
        values = logs.order_by("-created_at", "-pk").values("pk", "unit_id", *_LOG_FIELDS)
        return [
            _queue_row(row, "", inference_log_id=row["pk"], ticket_id=int(row["unit_id"]))
            for row in values[:consider]
        ]
    operation_type, model = LABEL_QUEUE_OPERATIONS[task]
    prefix = "inference_log__"
    records = _unjudged(model.objects.filter(inference_log__task=task), organization_ids, prefix)
    records = records.filter(created_at__gte=since).order_by("-created_at", "-pk")
    values = records.values("pk", "inference_log_id", *(prefix + f for f in _LOG_FIELDS))
    return [
        _queue_row(
            row,
            prefix,
            inference_log_id=row["inference_log_id"],
            operation_type=operation_type,
            operation_id=row["pk"],
        )
        for row in values[:consider]
    ]


def _label_queue_stats(*, organization_ids, tasks, now) -> dict:
    """Per (organization, task) and predicted class: predictions in the traffic window and
    judged outcomes in the error window (the registry's accuracy_by): two aggregate queries."""
    logs = InferenceLog.objects.filter(task__in=tasks, success=True)
    if organization_ids is not None:
        logs = logs.filter(organization_id__in=organization_ids)
    fields = ("organization_id", "task", "predicted_label")
    counts = {
        tuple(row[f] for f in fields): row["n"]
        for row in logs.filter(created_at__gte=now - LABEL_QUEUE_WINDOW)
        .values(*fields)
        .annotate(n=Count("pk"))
        .order_by()
    }
    judged = accuracy_by(
        logs=logs.filter(created_at__gte=now - LABEL_QUEUE_ERROR_WINDOW), fields=fields
    )
    return {
        ((org, task), label): ranking.ClassStats(
            count=counts.get((org, task, label), 0),
            judged=judged.get((org, task, label), NONE_JUDGED).judged,
            incorrect=judged.get((org, task, label), NONE_JUDGED).incorrect,
        )
        for org, task, label in counts.keys() | judged.keys()
    }


def label_queue_texts(rows: list[LabelQueueRow]) -> dict[int, str]:
    """Inference log id -> the text its prediction was made on: one query per operation type,
    one for the tickets. A row whose record or ticket is gone has none."""
    texts: dict[int, str] = {}
    for operation_type, model in LABEL_QUEUE_OPERATIONS.values():
        ids = {
            row.operation_id: row.inference_log_id
            for row in rows
            if row.operation_type == operation_type
        }
        if ids:
            for pk, text in model.objects.filter(pk__in=ids).values_list("pk", "input_text"):
                texts[ids[pk]] = text
    tickets = {
        (row.organization_id, row.ticket_id): row.inference_log_id for row in rows if row.ticket_id
    }
    if tickets:
        found = Ticket.objects.filter(pk__in={pk for _, pk in tickets}).only(
            "organization_id", "subject", "body"
        )
        for ticket in found:
            log_id = tickets.get((ticket.organization_id, ticket.pk))
            if log_id is not None:  # the same text operation_input gave the model
                texts[log_id] = ticket.text[:MAX_INPUT_CHARS]
    return texts


def label_queue(
    *,
    organization_ids: set[int] | None,
    task: str | None = None,
    limit: int = LABEL_QUEUE_LIMIT,
    consider: int = LABEL_QUEUE_CONSIDER,
    now: datetime | None = None,
) -> list[LabelQueueRow]:
    """The predictions of these organizations (None: all) most worth a reviewer's label, by
    expected gain (feedback.ranking), with their text and their task's labels. A fixed
    number of queries: two aggregates, one candidates query per task, one per operation type
    and one for tickets for the texts, one for the organizations, one per organization and
    task shown for a category's labels."""
    tasks = [task] if task else list(LABEL_QUEUE_TASKS)
    if task not in (None, *LABEL_QUEUE_TASKS):
        raise InvalidInput(
            f"The label queue has no task {task!r}.", fields={"task": list(LABEL_QUEUE_TASKS)}
        )
    now = now or timezone.now()
    candidates = []
    for name in tasks:
        candidates += _label_queue_candidates(
            organization_ids=organization_ids,
            task=name,
            since=now - LABEL_QUEUE_WINDOW,
            consider=consider,
        )
    if not candidates:
        return []
    candidates.sort(key=lambda row: (row.created_at, row.inference_log_id), reverse=True)
    stats = _label_queue_stats(organization_ids=organization_ids, tasks=tasks, now=now)
    scored = ranking.rank(
        (
            (row, (row.organization_id, row.task), row.predicted_label, row.confidence)
            for row in candidates
        ),
        stats,
        limit=limit,
    )
    top = [replace(s.key, share=s.share, error_rate=s.error, gain=s.gain) for s in scored]
    texts = label_queue_texts(top)
    organizations = Organization.objects.in_bulk({row.organization_id for row in top})
    label_sets = {
        key: tuple(task_label_set(organization=organizations[key[0]], task=key[1]) or ())
        for key in {(row.organization_id, row.task) for row in top}
    }
    return [
        replace(
            row,
            text=texts[row.inference_log_id],
            organization_slug=organizations[row.organization_id].slug,
            labels=label_sets[(row.organization_id, row.task)],
        )
        for row in top
        if row.inference_log_id in texts
    ]
