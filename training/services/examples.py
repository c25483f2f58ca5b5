"""Training examples: content hashing, add/upsert with label votes, file imports."""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import InvalidInput
from aiops.models import Organization
from models_registry.choices import Task
from training.choices import ExampleEventAction, ExampleSource, ValidationStatus
from training.importers import MAX_LABEL_LENGTH, ParsedRow
from training.models import TrainingExample, TrainingExampleEvent
from training.quality import SOURCE_TRUST, score_example

BATCH = 1000
# A reviewer's decision overrides the computed quality score (the parts stay, for the record).
REVIEW_QUALITY = {"approved": 1.0, "rejected": 0.0}


def normalize_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode()).hexdigest()


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    merged_in_file: int


@transaction.atomic
def examples_import(
    *,
    organization: Organization,
    task: str,
    rows: list[ParsedRow],
    source: str = ExampleSource.IMPORT,
    approve: bool = False,
    actor=None,
    progress=None,
) -> ImportSummary:
    """Upsert examples by content hash: a duplicate text updates its example, never adds one."""
    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if source not in ExampleSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", fields={"source": ExampleSource.values})
    by_hash: dict[str, ParsedRow] = {}
    for row in rows:
        by_hash[content_hash(row.text)] = row
    status = ValidationStatus.APPROVED if approve else ValidationStatus.PENDING
    now = timezone.now()
    hashes = list(by_hash)
    created = updated = 0
    for start in range(0, len(hashes), BATCH):
        chunk = hashes[start : start + BATCH]
        existing = {
            ex.content_hash: ex
            for ex in TrainingExample.objects.filter(
                organization=organization, task=task, content_hash__in=chunk
            )
        }
        new, changed = [], []
        for digest in chunk:
            row = by_hash[digest]
            example = existing.get(digest) or TrainingExample(
                organization=organization, task=task, content_hash=digest
            )
            # One vote per import source: a re-import replaces its earlier vote.
            _add_vote(example, row.label, "import:")
            if not _is_reviewed(example):  # a reviewer's decision stands over a file
                example.input_text = row.text
                if example.expected_output != row.label:
                    _clear_noise(example)
                example.expected_output = row.label
                example.source = source
                if status == ValidationStatus.APPROVED and (
                    example.validation_status != status or example.approved_at is None
                ):
                    example.approved_at = now
                elif status != ValidationStatus.APPROVED:
                    example.approved_at = None
                example.validation_status = status
                example.reviewer = actor if approve else None
                example.reviewed_at = now if approve else None
            _rescore(example)
            example.updated_at = now
            (changed if example.pk else new).append(example)
        TrainingExample.objects.bulk_create(new, batch_size=BATCH)
        TrainingExample.objects.bulk_update(
            changed,
            [
                "input_text",
                "expected_output",
                "source",
                "quality_score",
                "quality_parts",
                "validation_status",
                "reviewer",
                "reviewed_at",
                "approved_at",
                "label_votes",
                "operation_votes",
                "noise_flag",
                "suggested_label",
                "label_quality",
                "noise_checked_at",
                "updated_at",
            ],
            batch_size=BATCH,
        )
        created += len(new)
        updated += len(changed)
        if progress:
            progress(len(chunk))
    return ImportSummary(created=created, updated=updated, merged_in_file=len(rows) - len(hashes))


def _check_example_input(*, task: str, text: str, label: str, source: str) -> None:
    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if source not in ExampleSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", fields={"source": ExampleSource.values})
    if not (text or "").strip():
        raise InvalidInput("The text is empty.", fields={"text": ["This field may not be blank."]})
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            f"The label must be 1 to {MAX_LABEL_LENGTH} characters.",
            fields={"label": [f"1 to {MAX_LABEL_LENGTH} characters."]},
        )


def _agreement(votes: dict[str, int], label: str) -> float | None:
    """Share of votes for `label`; None until there are two votes (one vote agrees with itself)."""
    total = sum(votes.values())
    return votes.get(label, 0) / total if total >= 2 else None


def _rescore(example: TrainingExample) -> None:
    """Recompute the quality parts; a reviewer's decision, when there is one, sets the total."""
    quality = score_example(
        source=example.source,
        text=example.input_text,
        agreement=_agreement(example.label_votes, example.expected_output),
        label_quality=example.label_quality,
    )
    parts: dict = dict(quality.parts)
    review = (example.quality_parts or {}).get("review")
    if review in REVIEW_QUALITY:
        parts["computed"] = quality.total
        parts["review"] = review
        example.quality_score = REVIEW_QUALITY[review]
    else:
        example.quality_score = quality.total
    example.quality_parts = parts


def _clear_noise(example: TrainingExample) -> None:
    """Noise evidence was about the old label: drop it when the label changes."""
    example.noise_flag = False
    example.suggested_label = ""
    example.label_quality = None
    example.noise_checked_at = None


def _add_vote(example: TrainingExample, label: str, vote_key: str) -> None:
    votes = dict(example.label_votes or {})
    if vote_key:
        operation_votes = dict(example.operation_votes or {})
        previous = operation_votes.get(vote_key)
        if previous is not None and votes.get(previous, 0) > 0:
            votes[previous] -= 1
            if not votes[previous]:
                del votes[previous]
        operation_votes[vote_key] = label
        example.operation_votes = operation_votes
    votes[label] = votes.get(label, 0) + 1
    example.label_votes = votes


def _is_reviewed(example: TrainingExample) -> bool:
    return (example.quality_parts or {}).get("review") in REVIEW_QUALITY


# savepoint=False: inside a caller's transaction (feedback) a failure here fails that whole
# transaction anyway, so the savepoint's two round trips would buy nothing.
@transaction.atomic(savepoint=False)
def training_example_upsert(
    *,
    organization: Organization,
    task: str,
    text: str,
    label: str,
    source: str,
    operation_type: str = "",
    operation_id: int | None = None,
    approve: bool = False,
    feedback_id: int | None = None,
    actor=None,
    notes: str = "",
) -> TrainingExample:
    """Create the example for this text, or merge into the one that exists (one row per
    normalised text, org and task). Every call is a vote for `label`; a vote from the same
    feedback record (or, without one, the same operation) replaces its earlier vote. Until
    a reviewer has decided, the label is the one with most votes (ties go to the newest) and
    the source the most trusted one; after a review, votes only move the `agreement` part.
    Row-locked, so concurrent feedback on the same text never duplicates or loses a write."""
    _check_example_input(task=task, text=text, label=label, source=source)
    label = label.strip()
    digest = content_hash(text)
    # One vote per feedback record (one per operation and user, updated in place), else per
    # operation: a changed vote replaces the earlier one instead of adding to it.
    if feedback_id is not None:
        vote_key = f"feedback:{feedback_id}"
    elif operation_id is not None:
        vote_key = f"{operation_type}:{operation_id}"
    else:
        vote_key = ""
    now = timezone.now()
    key = {"organization": organization, "task": task, "content_hash": digest}
    example = TrainingExample.objects.select_for_update().filter(**key).first()
    if example is None:
        try:
            with transaction.atomic():
                example = TrainingExample(
                    organization=organization,
                    task=task,
                    content_hash=digest,
                    input_text=text,
                    expected_output=label,
                    source=source,
                    operation_type=operation_type,
                    operation_id=operation_id,
                    feedback_id=feedback_id,
                )
                _add_vote(example, label, vote_key)
                if approve:
                    example.validation_status = ValidationStatus.APPROVED
                    example.approved_at = now
                _rescore(example)
                example.save()
        except IntegrityError:  # a concurrent insert of the same text won: merge into it
            example = TrainingExample.objects.select_for_update().get(**key)
        else:
            _event(
                example,
                ExampleEventAction.CREATED,
                actor=actor,
                source=source,
                to_label=label,
                to_status=example.validation_status,
                notes=notes,
            )
            return example
    before_label, before_status = example.expected_output, example.validation_status
    _add_vote(example, label, vote_key)
    if operation_id is not None:
        example.operation_type, example.operation_id = operation_type, operation_id
    if feedback_id is not None:
        example.feedback_id = feedback_id
    if not _is_reviewed(example):
        votes = example.label_votes
        best = max(votes.values())
        winner = label if votes.get(label) == best else max(votes, key=votes.get)
        if winner != example.expected_output:
            example.expected_output = winner
            _clear_noise(example)
        if SOURCE_TRUST[source] >= SOURCE_TRUST.get(example.source, 0):
            example.source = source
        if approve and example.validation_status != ValidationStatus.APPROVED:
            example.validation_status = ValidationStatus.APPROVED
            example.approved_at = now
    _rescore(example)
    example.save()
    _event(
        example,
        ExampleEventAction.MERGED,
        actor=actor,
        source=source,
        from_label=before_label,
        to_label=label,
        from_status=before_status,
        to_status=example.validation_status,
        notes=notes,
    )
    return example


def training_example_add(
    *,
    organization: Organization,
    task: str,
    text: str,
    label: str,
    source: str = ExampleSource.EXPERT,
    actor=None,
    notes: str = "",
    approve: bool = False,
) -> TrainingExample:
    """Add an example by hand (an expert or reviewer); a duplicate text merges."""
    return training_example_upsert(
        organization=organization,
        task=task,
        text=text,
        label=label,
        source=source,
        approve=approve,
        actor=actor,
        notes=notes,
    )


def _event(example: TrainingExample, action: str, **fields) -> TrainingExampleEvent:
    return TrainingExampleEvent.objects.create(
        example=example, organization_id=example.organization_id, action=action, **fields
    )
