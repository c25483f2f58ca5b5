"""Applying feedback: one transaction updates the operation record, upserts the Feedback row,
records the outcome on the inference log that made the prediction, and creates or updates
the training example.

What a feedback means, per operation type (`final` is the label the agent stands behind):

- classification / sentiment: a correction names the final label; a positive feedback without
  one accepts the prediction. The prediction is correct iff final == predicted; a negative
  feedback without a correction is incorrect with an unknown true label; a neutral one without
  a correction says nothing (outcome unknown). With a final label, the example
  text → final label is written (source user_acceptance when it agrees with the prediction,
  user_correction when it does not).
- suggestion: helpfulness is the measure. `wasHelpful` when given, else positive → helpful,
  negative → not helpful; with neither, a suggestion marked used counts as helpful. Helpful →
  correct (true label = the predicted label), not helpful → incorrect, otherwise unknown.
  A helpful suggestion becomes the example text → suggestion content (for fine-tuning export),
  unless the content is longer than the training app accepts as a label (then it is judged only).

The operation record always reflects the latest feedback posted on it, by whichever user; the
Feedback row is per user and posting again replaces it.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Subquery

from aiops.choices import SentimentLabel
from aiops.exceptions import InvalidInput, NotFound
from aiops.models import Category, Classification, Organization, SentimentAnalysis, Suggestion
from feedback.choices import FeedbackValue, OperationType
from feedback.models import Feedback
from models_registry.choices import Task
from models_registry.services import inference_log_record_outcome
from training.choices import ExampleSource
from training.importers import MAX_LABEL_LENGTH
from training.models import TrainingExample
from training.services import training_example_upsert

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class FeedbackSubmission:
    feedback: Feedback
    created: bool
    training_example: TrainingExample | None


@dataclass(frozen=True)
class _Verdict:
    correct: bool | None
    true_label: str
    example_task: str = ""
    example_label: str = ""
    example_source: str = ""


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


def _operation_lock(
    *, organization: Organization, operation_type: str, operation_id: int, category: str | None
):
    """The operation row, locked until the transaction ends: feedback on one operation is
    applied one at a time, so concurrent posts cannot duplicate or lose anything.

    The same statement reads what the feedback needs besides the row (the log's arm and
    predicted label, the model version, and the id of the corrected category by name), so a
    feedback costs one read. Of all this, a concurrent feedback writes only the row itself,
    which PostgreSQL re-reads once the lock is granted; the Feedback row, which a concurrent
    feedback also writes, is read after the lock is held, never in this statement."""
    model = OPERATION_MODELS[operation_type]
    query = (
        model.objects.select_for_update(of=("self",))
        .select_related("model_version", *(["category"] if model is Classification else []))
        .annotate(log_arm=F("inference_log__arm"), log_label=F("inference_log__predicted_label"))
    )
    if category is not None:
        named = Category.objects.filter(organization=organization, name=category)
        query = query.annotate(corrected_category_pk=Subquery(named.values("pk")[:1]))
    try:
        return query.get(organization=organization, pk=operation_id)
    except model.DoesNotExist:
        raise NotFound(f"{OperationType(operation_type).label} {operation_id} not found.") from None


def _unknown_category(*, organization: Organization, name: str) -> InvalidInput:
    valid = list(
        Category.objects.filter(organization=organization)
        .order_by("name")
        .values_list("name", flat=True)
    )
    message = f"Unknown category {name!r}. Valid categories: {', '.join(valid) or 'none'}."
    return InvalidInput(message, fields={"corrected_category": [message]})


def _label_verdict(*, task: str, text: str, predicted: str, final: str | None, feedback: str):
    if final is None:
        correct = False if feedback == FeedbackValue.NEGATIVE else None
        return _Verdict(correct=correct, true_label="")
    correct = final == predicted
    source = ExampleSource.USER_ACCEPTANCE if correct else ExampleSource.USER_CORRECTION
    return _Verdict(
        correct=correct,
        true_label=final,
        example_task=task,
        example_label=final,
        example_source=source,
    )


def _negative_same_label(field: str, label: str) -> InvalidInput:
    message = f"{label!r} is the predicted label: a negative feedback corrects it to another."
    return InvalidInput(message, fields={field: [message]})


def _apply_classification(operation: Classification, *, organization, feedback, corrected_category):
    predicted = operation.category
    final_pk, final_name = None, None
    if corrected_category is not None:
        final_pk, final_name = operation.corrected_category_pk, corrected_category
        if final_pk is None:
            raise _unknown_category(organization=organization, name=corrected_category)
        if feedback == FeedbackValue.NEGATIVE and final_pk == predicted.pk:
            raise _negative_same_label("corrected_category", final_name)
    elif feedback == FeedbackValue.POSITIVE:
        final_pk, final_name = predicted.pk, predicted.name
    verdict = _label_verdict(
        task=Task.CATEGORY,
        text=operation.input_text,
        predicted=predicted.name,
        final=final_name,
        feedback=feedback,
    )
    operation.was_accepted = verdict.correct
    operation.corrected_category_id = final_pk if final_pk != predicted.pk else None
    return verdict, ["was_accepted", "corrected_category"]


def _apply_sentiment(operation: SentimentAnalysis, *, feedback, corrected_sentiment):
    final = corrected_sentiment
    if final is not None and feedback == FeedbackValue.NEGATIVE and final == operation.sentiment:
        raise _negative_same_label("corrected_sentiment", final)
    if final is None and feedback == FeedbackValue.POSITIVE:
        final = operation.sentiment
    verdict = _label_verdict(
        task=Task.SENTIMENT,
        text=operation.input_text,
        predicted=operation.sentiment,
        final=final,
        feedback=feedback,
    )
    operation.was_accepted = verdict.correct
    operation.corrected_sentiment = final if final and final != operation.sentiment else ""
    return verdict, ["was_accepted", "corrected_sentiment"]


def _apply_suggestion(operation: Suggestion, *, feedback, was_used, was_helpful):
    helpful = was_helpful
    if helpful is None:
        helpful = {FeedbackValue.POSITIVE: True, FeedbackValue.NEGATIVE: False}.get(feedback)
    correct = helpful if helpful is not None else (True if was_used else None)
    operation.was_used = was_used
    operation.was_helpful = helpful
    fields = ["was_used", "was_helpful"]
    if not correct:
        return _Verdict(correct=correct, true_label=""), fields
    true_label = operation.log_label or ""
    if len(operation.content.strip()) > MAX_LABEL_LENGTH:
        # The training app takes labels of at most MAX_LABEL_LENGTH characters; cutting a reply
        # would teach a wrong one, so a longer suggestion is judged but not made an example.
        logger.warning("Suggestion %s is too long to become a training example.", operation.pk)
        return _Verdict(correct=True, true_label=true_label), fields
    verdict = _Verdict(
        correct=True,
        true_label=true_label,
        example_task=Task.SUGGESTION,
        example_label=operation.content,
        example_source=ExampleSource.USER_ACCEPTANCE,
    )
    return verdict, fields


@transaction.atomic
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
    """Apply one user's feedback on one operation (see the module docstring for the rules).
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
    operation = _operation_lock(
        organization=organization,
        operation_type=operation_type,
        operation_id=operation_id,
        category=corrected_category,
    )
    if operation_type == OperationType.CLASSIFICATION:
        verdict, fields = _apply_classification(
            operation,
            organization=organization,
            feedback=feedback,
            corrected_category=corrected_category,
        )
    elif operation_type == OperationType.SENTIMENT:
        verdict, fields = _apply_sentiment(
            operation, feedback=feedback, corrected_sentiment=corrected_sentiment
        )
    else:
        verdict, fields = _apply_suggestion(
            operation, feedback=feedback, was_used=was_used, was_helpful=was_helpful
        )
    operation.feedback_comment = comment
    operation.save(update_fields=[*fields, "feedback_comment", "updated_at"])

    # Every writer of this row holds the operation's lock, so a plain read-then-write is safe
    # (and cheaper than update_or_create's savepoints); the unique constraint backs it up.
    try:
        record = Feedback.objects.get(
            organization=organization,
            operation_type=operation_type,
            operation_id=operation.pk,
            user=user,
        )
        created = False
    except Feedback.DoesNotExist:
        created = True
        record = Feedback(
            organization=organization,
            operation_type=operation_type,
            operation_id=operation.pk,
            user=user,
        )
    record.feedback = feedback
    record.corrected_category = corrected_category or ""
    record.corrected_sentiment = corrected_sentiment or ""
    record.was_used = was_used
    record.was_helpful = was_helpful
    record.comment = comment
    record.model_version = operation.model_version
    record.arm = operation.log_arm or ""
    record.save()
    if operation.inference_log_id is not None:
        inference_log_record_outcome(
            inference_log_id=operation.inference_log_id,
            correct=verdict.correct,
            true_label=verdict.true_label,
        )
    example = None
    if verdict.example_task:
        example = training_example_upsert(
            organization=organization,
            task=verdict.example_task,
            text=operation.input_text,
            label=verdict.example_label,
            source=verdict.example_source,
            operation_type=operation_type,
            operation_id=operation.pk,
            feedback_id=record.pk,
            actor=user,
        )
    return FeedbackSubmission(feedback=record, created=created, training_example=example)
