"""Submitting feedback: one request reads the operation, then, all or nothing, updates the
operation record, upserts the Feedback row and records the outcome on the inference log that
made the prediction (on PostgreSQL in one statement, elsewhere in one transaction). The
training example the feedback votes for is applied after commit, in bulk, by the examples
sweep (feedback.services.examples): on the request path it cost about 40% of the time, for
data that only matters at the next training run.

The operation record always reflects the latest feedback posted on it, by whichever user; the
Feedback row is per user and posting again replaces it. The rules of what a feedback means
are in feedback.verdicts.
"""

import functools
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from aiops.choices import SentimentLabel
from aiops.exceptions import InvalidInput, NotFound
from aiops.models import Category, Classification, Organization, SentimentAnalysis, Suggestion
from aiops.sql import insert_params, mark_saved, one_statement, update_by_pk_statement
from feedback import verdicts
from feedback.choices import FeedbackValue, OperationType
from feedback.models import Feedback
from models_registry.models import InferenceLog, ModelVersion
from models_registry.services import inference_log_outcome

OPERATION_MODELS = {
    OperationType.CLASSIFICATION: Classification,
    OperationType.SUGGESTION: Suggestion,
    OperationType.SENTIMENT: SentimentAnalysis,
}

# Which optional fields make sense for which operation type.
FIELD_OPERATION_TYPES = {
    "corrected_category": OperationType.CLASSIFICATION,
    "corrected_sentiment": OperationType.SENTIMENT,
    "was_used": OperationType.SUGGESTION,
    "was_helpful": OperationType.SUGGESTION,
}

# What a submission reads of its operation (with its inference log and model version).
READ_FIELDS = (
    "inference_log_id",
    "model_version_id",
    "model_version__major",
    "model_version__minor",
    "model_version__patch",
    "inference_log__arm",
)


@dataclass(frozen=True)
class FeedbackSubmission:
    feedback: Feedback
    created: bool
    # True when the feedback votes for a training example (the sweep applies it shortly).
    training_example_queued: bool


def _check_fields(*, operation_type: str, feedback: str, given: dict) -> None:
    errors: dict[str, list[str]] = {}
    if operation_type not in OperationType.values:
        errors["operation_type"] = [f"Must be one of: {', '.join(OperationType.values)}."]
    if feedback not in FeedbackValue.values:
        errors["feedback"] = [f"Must be one of: {', '.join(FeedbackValue.values)}."]
    if errors:
        raise InvalidInput("Invalid feedback.", fields=errors)
    for name, value in given.items():
        if value is not None and FIELD_OPERATION_TYPES[name] != operation_type:
            errors[name] = [f"Only for {FIELD_OPERATION_TYPES[name]} feedback."]
    for name in ("corrected_category", "corrected_sentiment"):
        if given[name] is not None and feedback == FeedbackValue.POSITIVE and name not in errors:
            errors[name] = ["A positive feedback accepts the prediction: no correction with it."]
    sentiment = given["corrected_sentiment"]
    if sentiment is not None and sentiment not in SentimentLabel.values and not errors:
        errors["corrected_sentiment"] = [f"Must be one of: {', '.join(SentimentLabel.values)}."]
    helpful = given["was_helpful"]
    if helpful is not None and "was_helpful" not in errors:
        if helpful is False and feedback == FeedbackValue.POSITIVE:
            errors["was_helpful"] = ["Contradicts a positive feedback."]
        elif helpful is True and feedback == FeedbackValue.NEGATIVE:
            errors["was_helpful"] = ["Contradicts a negative feedback."]
    if errors:
        raise InvalidInput("Invalid feedback.", fields=errors)


@functools.cache
def _operation_sql(operation_type: str, with_category: bool) -> tuple[str, tuple[str, ...]]:
    """The statement `_operation_read` runs and the names of its columns, built once from the
    models' metadata: fields by name ("a__b" through a LEFT JOIN on relation a) and, for a
    corrected category, that category's id and own spelling."""
    model = OPERATION_MODELS[operation_type]
    quote = connection.ops.quote_name
    names = (*verdicts.OPERATION_FIELDS, *READ_FIELDS, verdicts.PREDICTION_FIELD[operation_type])
    names = tuple(dict.fromkeys(names))  # the classification's prediction is a shared field
    columns, aliases, joins = [], {}, []
    for name in names:
        relation, _, attribute = name.rpartition("__")
        if relation:
            field = model._meta.get_field(relation)
            related = field.related_model._meta
            if relation not in aliases:
                aliases[relation] = alias = f"r{len(aliases)}"
                joins.append(
                    f"LEFT JOIN {quote(related.db_table)} {alias} "
                    f"ON {alias}.id = o.{quote(field.column)}"
                )
            columns.append(f"{aliases[relation]}.{quote(related.get_field(attribute).column)}")
        else:
            columns.append(f"o.{quote(model._meta.get_field(name).column)}")
    if with_category:
        # Matched case-insensitively ("billing" names "Billing"), an exact match first.
        named = (
            f"FROM {quote(Category._meta.db_table)} c WHERE c.organization_id = %s "
            "AND UPPER(c.name) = UPPER(%s) ORDER BY CASE WHEN c.name = %s THEN 0 ELSE 1 END, "
            "c.id LIMIT 1"
        )
        columns += [f"(SELECT c.id {named})", f"(SELECT c.name {named})"]
        names += ("correction_id", "correction_name")
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} o "
        f"{' '.join(joins)} WHERE o.organization_id = %s AND o.id = %s"
    )
    return sql, names


def _operation_read(*, organization, operation_type: str, operation_id: int, category: str | None):
    """The operation's prediction, inference log and model version, plus (for a corrected
    category) that category's id, in one statement and as a dict (raw: compiling the ORM's
    version, subqueries and joins, took longer than running it). No lock: everything read
    here is fixed when the operation is made."""
    sql, names = _operation_sql(operation_type, category is not None)
    params = [organization.pk, category, category] * 2 if category is not None else []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, organization.pk, operation_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"{OperationType(operation_type).label} {operation_id} not found.")
    return dict(zip(names, row, strict=True))


def _unknown_category(*, organization: Organization, name: str) -> InvalidInput:
    valid = Category.objects.filter(organization=organization).order_by("name")
    valid = list(valid.values_list("name", flat=True))
    message = f"Unknown category {name!r}. Valid categories: {', '.join(valid) or 'none'}."
    return InvalidInput(message, fields={"corrected_category": [message]})


def _negative_same_label(field: str, label: str) -> InvalidInput:
    message = f"{label!r} is the predicted label: a negative feedback corrects it to another."
    return InvalidInput(message, fields={field: [message]})


def _operation_changes(
    operation: dict, *, organization, operation_type: str, given: dict, verdict: verdicts.Verdict
) -> dict:
    """The operation record's new business fields (400 on a correction that cannot be)."""
    feedback = given["feedback"]
    if operation_type == OperationType.SUGGESTION:
        helpful = verdicts.suggestion_helpful(feedback=feedback, was_helpful=given["was_helpful"])
        return {"was_used": given["was_used"], "was_helpful": helpful}
    classification = operation_type == OperationType.CLASSIFICATION
    field = "corrected_category" if classification else "corrected_sentiment"
    corrected = given[field]
    predicted = operation[verdicts.PREDICTION_FIELD[operation_type]]
    if corrected is not None and classification and operation["correction_id"] is None:
        raise _unknown_category(organization=organization, name=corrected)
    if corrected is not None and feedback == FeedbackValue.NEGATIVE and corrected == predicted:
        raise _negative_same_label(field, corrected)
    changed = corrected is not None and corrected != predicted
    if classification:
        correction = {"corrected_category_id": operation["correction_id"] if changed else None}
    else:
        correction = {"corrected_sentiment": corrected if changed else ""}
    return {**correction, "was_accepted": verdict.correct}


UPSERT_COLUMNS = (
    "organization_id",
    "user_id",
    "operation_type",
    "operation_id",
    "feedback",
    "corrected_category",
    "corrected_sentiment",
    "was_used",
    "was_helpful",
    "comment",
    "model_version_id",
    "arm",
    "training_pending",
    "created_at",
    "updated_at",
)
UNIQUE_COLUMNS = ("organization_id", "operation_type", "operation_id", "user_id")


@functools.cache
def _upsert(source: str) -> str:
    """INSERT the Feedback row or replace the user's row there (ON CONFLICT on the unique
    constraint: one statement, where get-then-save took two and the ORM's upsert cannot say
    which it did), returning its id and created_at; the values come from `source` ("VALUES
    (...)" or a SELECT). Built once."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in UPSERT_COLUMNS)
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}"
        for c in UPSERT_COLUMNS
        if c not in UNIQUE_COLUMNS and c != "created_at"
    )
    return (
        f"INSERT INTO {quote(Feedback._meta.db_table)} ({columns}) {source} "
        f"ON CONFLICT ({', '.join(quote(c) for c in UNIQUE_COLUMNS)}) DO UPDATE SET {updates} "
        f"RETURNING {quote('id')}, {quote('created_at')}"
    )


UPSERT_VALUES = f"VALUES ({', '.join(['%s'] * len(UPSERT_COLUMNS))})"


@functools.cache
def _upsert_fields() -> tuple:
    """The upsert's fields in column order, and created_at's column (for its converters)."""
    meta = Feedback._meta
    created_at = meta.get_field("created_at").get_col(meta.db_table)
    return tuple(meta.get_field(column) for column in UPSERT_COLUMNS), created_at


def _upsert_params(record: Feedback) -> list:
    return insert_params(record, _upsert_fields()[0])


def _upserted(record: Feedback, row) -> bool:
    """Set the row's id and created_at from the upsert's answer; returns whether it was
    created (an update keeps the row's first created_at)."""
    pk, created_at = row
    column = _upsert_fields()[1]
    for converter in connection.ops.get_db_converters(column):
        created_at = converter(created_at, column, connection)
    created = created_at == record.created_at
    record.created_at = created_at
    mark_saved(record, pk)
    return created


@functools.cache
def _write_sql(operation_sql: str, log_sql: str | None) -> str:
    """PostgreSQL: the three writes in one statement, so one round trip and no BEGIN or
    COMMIT of their own. The operation's UPDATE runs first and takes its row lock (the upsert
    reads its output, the log's update the upsert's): every feedback on one operation then
    writes its rows one at a time, as in the transaction. No row: the operation is gone."""
    values = f"SELECT {', '.join(['%s'] * len(UPSERT_COLUMNS))} FROM op"
    sql = f"WITH op AS ({operation_sql} RETURNING 1), fb AS ({_upsert(values)})"
    if log_sql is not None:
        sql += f", log AS ({log_sql} AND EXISTS (SELECT 1 FROM fb))"
    return sql + " SELECT * FROM fb"


def _write(
    *, model, operation_id: int, changes: dict, record: Feedback, log: tuple[int, dict] | None
) -> bool:
    """Write the operation's new fields, the user's Feedback row and (`log`: the inference
    log's id and fields) the prediction's outcome, all or nothing; returns whether the
    Feedback row was created. NotFound when the operation was deleted since it was read."""
    operation_sql, params = update_by_pk_statement(model, operation_id, **changes)
    log_sql, log_params = None, []
    if log is not None:
        log_sql, log_params = update_by_pk_statement(InferenceLog, log[0], **log[1])
    row = None
    if connection.vendor == "postgresql":
        with one_statement(), connection.cursor() as cursor:
            sql = _write_sql(operation_sql, log_sql)
            cursor.execute(sql, [*params, *_upsert_params(record), *log_params])
            row = cursor.fetchone()
    else:  # the same writes in one transaction, the operation's first
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(operation_sql, params)
            if cursor.rowcount:
                cursor.execute(_upsert(UPSERT_VALUES), _upsert_params(record))
                row = cursor.fetchone()
                if log_sql is not None:
                    cursor.execute(log_sql, log_params)
    if row is None:
        raise NotFound(f"{OperationType(record.operation_type).label} {operation_id} not found.")
    return _upserted(record, row)


def feedback_submit(
    *,
    organization: Organization,
    user,
    operation_type: str,
    operation_id: int,
    feedback: str,
    corrected_category: str | None = None,
    corrected_sentiment: str | None = None,
    was_used: bool | None = None,
    was_helpful: bool | None = None,
    comment: str = "",
) -> FeedbackSubmission:
    """Apply one user's feedback on one operation (see feedback.verdicts for the rules).
    The same user posting again for the same operation updates everything, never duplicates."""
    if corrected_category is not None:
        corrected_category = corrected_category.strip() or None
    given = {
        "corrected_category": corrected_category,
        "corrected_sentiment": corrected_sentiment,
        "was_used": was_used,
        "was_helpful": was_helpful,
    }
    _check_fields(operation_type=operation_type, feedback=feedback, given=given)
    operation = _operation_read(
        organization=organization,
        operation_type=operation_type,
        operation_id=operation_id,
        category=corrected_category,
    )
    if corrected_category is not None and operation["correction_name"] is not None:
        # The category's own spelling is what the operation, the vote and the outcome get.
        corrected_category = given["corrected_category"] = operation["correction_name"]
    verdict = verdicts.verdict(
        operation_type=operation_type,
        operation=operation,
        feedback=feedback,
        corrected=corrected_category or corrected_sentiment,
        was_used=was_used,
        was_helpful=was_helpful,
    )
    changes = _operation_changes(
        operation,
        organization=organization,
        operation_type=operation_type,
        given={**given, "feedback": feedback},
        verdict=verdict,
    )
    record = Feedback(
        organization=organization,
        user=user,
        operation_type=operation_type,
        operation_id=operation["id"],
        feedback=feedback,
        corrected_category=corrected_category or "",
        corrected_sentiment=corrected_sentiment or "",
        was_used=was_used,
        was_helpful=was_helpful,
        comment=comment,
        # The version as read: enough to link the row and to show "v1.2.0".
        model_version=ModelVersion(
            pk=operation["model_version_id"],
            major=operation["model_version__major"],
            minor=operation["model_version__minor"],
            patch=operation["model_version__patch"],
        ),
        arm=operation["inference_log__arm"] or "",
        # Every post changes what this row votes for, if only to take a vote back.
        training_pending=True,
    )
    log = None
    if operation["inference_log_id"] is not None:
        outcome = inference_log_outcome(correct=verdict.correct, true_label=verdict.true_label)
        log = (operation["inference_log_id"], outcome)
    created = _write(
        model=OPERATION_MODELS[operation_type],
        operation_id=operation["id"],
        changes={**changes, "feedback_comment": comment, "updated_at": timezone.now()},
        record=record,
        log=log,
    )
    transaction.on_commit(_examples_apply_soon, robust=True)
    return FeedbackSubmission(
        feedback=record, created=created, training_example_queued=bool(verdict.example_label)
    )


def _examples_apply_soon() -> None:
    from feedback.tasks import feedback_examples_apply_soon

    feedback_examples_apply_soon()
