"""A reviewer labels a prediction from the "label these" queue (feedback.selectors.label_queue):
the label becomes a reviewer-sourced, approved training example (the training app's upsert,
text and task as the feedback sweep gives them, so both vote on one example) and the
prediction's outcome on the inference log (the registry's service), in one transaction.

The operation record's business fields (was_accepted, corrected_category / _sentiment) are
left alone: they record what the agent who used the answer said (feedback_submit writes them
with a Feedback row and a user-sourced vote), and a reviewer in the console is not that agent.
"""

from dataclasses import dataclass, replace

from django.db import transaction

from aiops.exceptions import Conflict, InvalidInput, NotFound
from aiops.models import Organization
from feedback.selectors import (
    LABEL_QUEUE_OPERATIONS,
    LABEL_QUEUE_TASKS,
    LabelQueueRow,
    label_queue_texts,
)
from models_registry.choices import Outcome
from models_registry.models import InferenceLog
from models_registry.services import inference_log_record_outcome
from training.choices import ExampleSource
from training.labels import LabelSets
from training.models import TrainingExample
from training.services import training_example_upsert

NOTES = "Labelled from the label queue"


@dataclass(frozen=True)
class LabelQueueSubmission:
    inference_log: InferenceLog
    example: TrainingExample
    correct: bool


def _source(log: InferenceLog) -> LabelQueueRow:
    """The log as a queue row, with the record or ticket holding its text."""
    row = LabelQueueRow(
        inference_log_id=log.pk,
        organization_id=log.organization_id,
        task=log.task,
        predicted_label=log.predicted_label,
        confidence=log.confidence,
        version="",
        created_at=log.created_at,
    )
    if log.task in LABEL_QUEUE_OPERATIONS:
        operation_type, model = LABEL_QUEUE_OPERATIONS[log.task]
        pk = model.objects.filter(inference_log_id=log.pk).values_list("pk", flat=True).first()
        return replace(row, operation_type=operation_type, operation_id=pk)
    return replace(row, ticket_id=int(log.unit_id) if log.unit_id.isdecimal() else None)


@transaction.atomic
def label_queue_submit(
    *, organization: Organization, inference_log_id: int, label: str, actor
) -> LabelQueueSubmission:
    """Record `actor`'s label for one unjudged prediction of `organization`: InvalidInput for
    a label outside the task's label set, Conflict when the prediction already has an
    outcome (from feedback or an earlier label), NotFound when it is not this organization's
    or its text is gone. The log row is locked first, so two reviewers cannot both label it."""
    log = (
        InferenceLog.objects.select_for_update()
        .filter(organization=organization, pk=inference_log_id)
        .first()
    )
    if log is None:
        raise NotFound(f"Prediction {inference_log_id} not found.")
    if log.task not in LABEL_QUEUE_TASKS:
        raise InvalidInput(f"Predictions of task {log.task} are not labelled in the queue.")
    if log.outcome != Outcome.UNKNOWN:
        raise Conflict(
            f"Prediction {log.pk} is already judged {log.outcome}"
            + (f" (true label {log.true_label!r})" if log.true_label else "")
            + ": it has left the label queue.",
            fields={"label": ["Already judged."]},
        )
    label = (label or "").strip()
    if not label:
        raise InvalidInput("Choose a label.", fields={"label": ["This field is required."]})
    LabelSets(organization).check(label, task=log.task)
    row = _source(log)
    text = label_queue_texts([row]).get(log.pk)
    if not text:
        raise NotFound(f"The text prediction {log.pk} was made on is no longer stored.")
    example = training_example_upsert(
        organization=organization,
        task=log.task,
        text=text,
        label=label,
        source=ExampleSource.REVIEWER,
        operation_type=row.operation_type,
        operation_id=row.operation_id,
        approve=True,
        actor=actor,
        notes=NOTES,
    )
    correct = label == log.predicted_label
    inference_log_record_outcome(inference_log_id=log.pk, correct=correct, true_label=label)
    log.refresh_from_db(fields=["outcome", "true_label", "outcome_at"])
    return LabelQueueSubmission(inference_log=log, example=example, correct=correct)
