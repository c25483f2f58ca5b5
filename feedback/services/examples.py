"""The examples sweep: feedback rows marked `training_pending` become votes for training
examples (or take their vote back when they no longer name a label), in bulk, through the
training app's upsert. Submitting marks the row and queues the sweep on commit; beat runs
it every minute too, so nothing waits on a lost message.

Every row is applied once per version of it: the sweep locks the pending rows it takes
(skipping rows another sweep or a submission holds) and clears the mark in the same
transaction, and a later post on the row marks it again. A vote carries its feedback row's id,
so re-applying a changed feedback replaces that user's earlier vote instead of adding one."""

import logging
from collections import defaultdict

from django.db import transaction

from aiops.exceptions import InvalidInput
from aiops.models import Organization
from feedback import verdicts
from feedback.choices import OPERATION_TASK
from feedback.models import Feedback
from feedback.services.submit import OPERATION_MODELS
from training.services import ExampleVote, training_examples_upsert

logger = logging.getLogger(__name__)

BATCH = 500


def feedback_examples_apply(*, batch: int = BATCH) -> int:
    """Apply every pending feedback row, oldest first, `batch` rows per transaction; returns
    how many rows it applied."""
    applied = 0
    while True:
        done = _apply_batch(batch)
        applied += done
        if done < batch:
            return applied


@transaction.atomic
def _apply_batch(batch: int) -> int:
    pending = Feedback.objects.filter(training_pending=True).select_related("user")
    pending = pending.select_for_update(skip_locked=True, of=("self",))
    # In posting order: among tied labels the newest vote wins, as when votes came one by one.
    rows = list(pending.order_by("updated_at", "pk")[:batch])
    if not rows:
        return 0
    operations = _operations(rows)
    votes: dict[int, list[ExampleVote]] = defaultdict(list)
    for row in rows:
        operation = operations.get((row.operation_type, row.operation_id))
        if operation is None:  # the operation was deleted
            continue
        verdict = verdicts.verdict(
            operation_type=row.operation_type,
            operation=operation,
            feedback=row.feedback,
            corrected=row.corrected_category or row.corrected_sentiment or None,
            was_used=row.was_used,
            was_helpful=row.was_helpful,
        )
        # A feedback that names no label (any more) takes back the vote it may have cast.
        vote = ExampleVote(
            task=OPERATION_TASK[row.operation_type],
            text=operation["input_text"],
            label=verdict.example_label,
            source=verdict.example_source,
            operation_type=row.operation_type,
            operation_id=row.operation_id,
            feedback_id=row.pk,
            actor=row.user,
            withdraw=not verdict.example_label,
        )
        votes[row.organization_id].append(vote)
    organizations = Organization.objects.in_bulk(list(votes))
    for organization_id in sorted(votes):  # one lock order across organizations too
        training_examples_upsert(
            organization=organizations[organization_id],
            votes=votes[organization_id],
            on_invalid=_skip,
        )
    Feedback.objects.filter(pk__in=[row.pk for row in rows]).update(training_pending=False)
    return len(rows)


def _skip(vote: ExampleVote, error: InvalidInput) -> None:
    """A vote the training app does not take (a blank ticket text, a category deleted since
    the feedback): logged and skipped, so one row never stalls the others."""
    logger.warning("Feedback %s cannot become a training example: %s", vote.feedback_id, error)


def _operations(rows: list[Feedback]) -> dict[tuple[str, int], dict]:
    """What each row's verdict reads of its operation: one query per operation type."""
    ids: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        ids[row.operation_type].append(row.operation_id)
    found = {}
    for operation_type, pks in ids.items():
        fields = (*verdicts.OPERATION_FIELDS, verdicts.PREDICTION_FIELD[operation_type])
        for operation in (
            OPERATION_MODELS[operation_type].objects.filter(pk__in=pks).values(*fields)
        ):
            found[(operation_type, operation["id"])] = operation
    return found
