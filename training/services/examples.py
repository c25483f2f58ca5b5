"""Training examples: content hashing, add/upsert with label votes, file imports."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
# What an import or a vote may change on an example that exists.
UPSERT_FIELDS = [
    "input_text",
    "expected_output",
    "source",
    "operation_type",
    "operation_id",
    "feedback_id",
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
]


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
            UPSERT_FIELDS,
            batch_size=BATCH,
        )
        created += len(new)
        updated += len(changed)
        if progress:
            progress(len(chunk))
    return ImportSummary(created=created, updated=updated, merged_in_file=len(rows) - len(hashes))


def _check_example_input(*, task: str, text: str, label: str | None, source: str | None) -> None:
    """The rules every example meets; None skips the label / source (a withdrawal)."""
    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if source is not None and source not in ExampleSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", fields={"source": ExampleSource.values})
    if not (text or "").strip():
        raise InvalidInput("The text is empty.", fields={"text": ["This field may not be blank."]})
    if label is None:
        return
    label = label.strip()
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


def _remove_vote(example: TrainingExample, vote_key: str) -> str | None:
    """Take back the vote cast under `vote_key`, if any; returns the label it was for."""
    operation_votes = dict(example.operation_votes or {})
    previous = operation_votes.pop(vote_key, None)
    if previous is None:
        return None
    votes = dict(example.label_votes or {})
    if votes.get(previous, 0) > 0:
        votes[previous] -= 1
        if not votes[previous]:
            del votes[previous]
    example.operation_votes, example.label_votes = operation_votes, votes
    return previous


def _add_vote(example: TrainingExample, label: str, vote_key: str) -> None:
    if vote_key:
        _remove_vote(example, vote_key)
        example.operation_votes = {**(example.operation_votes or {}), vote_key: label}
    votes = dict(example.label_votes or {})
    votes[label] = votes.get(label, 0) + 1
    example.label_votes = votes


def _is_reviewed(example: TrainingExample) -> bool:
    return (example.quality_parts or {}).get("review") in REVIEW_QUALITY


@dataclass(frozen=True)
class ExampleVote:
    """One vote for `label` as the label of `text` (from feedback, an expert or a reviewer).
    A vote from the same feedback record (or, without one, the same operation) replaces that
    record's earlier vote instead of adding to it."""

    task: str
    text: str
    label: str
    source: str
    operation_type: str = ""
    operation_id: int | None = None
    feedback_id: int | None = None
    approve: bool = False
    actor: Any = None
    notes: str = ""
    # Take back the vote cast under this key (no label, no source): the feedback behind it
    # no longer names a label. Creates nothing.
    withdraw: bool = False

    def check(self) -> None:
        """InvalidInput unless the training app takes this vote (task, source, text, label)."""
        _check_example_input(
            task=self.task,
            text=self.text,
            label=None if self.withdraw else self.label,
            source=None if self.withdraw else self.source,
        )

    @property
    def key(self) -> str:
        if self.feedback_id is not None:
            return f"feedback:{self.feedback_id}"
        if self.operation_id is not None:
            return f"{self.operation_type}:{self.operation_id}"
        return ""


# A concurrent insert of the same text makes an attempt fail; the next one merges into it.
UPSERT_ATTEMPTS = 3


# savepoint=False: inside a caller's transaction (the feedback sweep) a failure here fails
# that whole transaction anyway, so a savepoint's two round trips would buy nothing.
@transaction.atomic(savepoint=False)
def training_examples_upsert(
    *, organization: Organization, votes: Sequence[ExampleVote]
) -> list[TrainingExample | None]:
    """Apply votes in order, one example per normalised text, org and task: a vote creates
    the example for its text or merges into the one that exists. Until a reviewer has decided,
    the label is the one with most votes (ties go to the newest) and the source the most
    trusted one; after a review, votes only move the `agreement` part. A withdrawal takes a
    vote back: the label then follows the remaining votes (the current label keeps a tie,
    where merging gives it to the newest vote: vote order is not stored), and an unreviewed
    example with no vote left is deleted. Returns each vote's example (None where there is
    none, or it was deleted). The examples are row-locked in primary-key order and new ones
    inserted in key order, so concurrent callers cannot deadlock on them, and concurrent votes
    on the same text never duplicate or lose a write. Three statements for any number of
    votes, plus one per thousand rows."""
    for vote in votes:
        vote.check()
    digests = [content_hash(vote.text) for vote in votes]
    for attempt in range(UPSERT_ATTEMPTS):
        locked = TrainingExample.objects.select_for_update().filter(
            organization=organization,
            task__in={vote.task for vote in votes},
            content_hash__in=set(digests),
        )
        by_key = {(ex.task, ex.content_hash): ex for ex in locked.order_by("pk")}
        existing = set(by_key)
        now = timezone.now()
        events, examples, touched = [], [], set()
        for vote, digest in zip(votes, digests, strict=True):
            key = (vote.task, digest)
            example = by_key.get(key)
            before = (example.expected_output, example.validation_status) if example else ()
            if vote.withdraw:  # takes back only what is stored: never creates
                voted = key in existing and _withdraw_vote(example, vote)
                action = ExampleEventAction.WITHDRAWN
            elif example is None:
                example = by_key[key] = _new_example(organization, vote, digest, now=now)
                voted, action = True, ExampleEventAction.CREATED
            else:
                _merge_vote(example, vote, now=now)
                voted, action = True, ExampleEventAction.MERGED
            if voted:
                events.append(_vote_event(example, vote, action, *before))
                touched.add(key)
            examples.append(example)
        # Inserted in key order, as imports insert: two writers inserting the same new texts
        # then wait on each other in one order, never in a cycle (a deadlock).
        new = [by_key[key] for key in sorted(by_key) if key not in existing]
        try:
            if new:
                with transaction.atomic():
                    TrainingExample.objects.bulk_create(new, batch_size=BATCH)
        except IntegrityError:
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
            continue
        changed = [ex for key, ex in by_key.items() if key in existing and key in touched]
        # An unreviewed example left without a vote stood only on withdrawn votes: it goes, as
        # if they had never been cast (the same as when they were withdrawn before applying).
        gone = {ex.pk for ex in changed if not ex.label_votes and not _is_reviewed(ex)}
        if gone:
            TrainingExample.objects.filter(pk__in=gone).delete()
            changed = [ex for ex in changed if ex.pk not in gone]
            events = [event for event in events if event.example.pk not in gone]
            examples = [None if ex is not None and ex.pk in gone else ex for ex in examples]
        for example in changed:
            example.updated_at = now
        TrainingExample.objects.bulk_update(changed, UPSERT_FIELDS, batch_size=BATCH)
        TrainingExampleEvent.objects.bulk_create(events, batch_size=BATCH)
        return examples
    raise AssertionError("unreachable")


def _new_example(organization, vote: ExampleVote, digest: str, *, now) -> TrainingExample:
    label = vote.label.strip()
    example = TrainingExample(
        organization=organization,
        task=vote.task,
        content_hash=digest,
        input_text=vote.text,
        expected_output=label,
        source=vote.source,
        operation_type=vote.operation_type,
        operation_id=vote.operation_id,
        feedback_id=vote.feedback_id,
    )
    _add_vote(example, label, vote.key)
    if vote.approve:
        example.validation_status = ValidationStatus.APPROVED
        example.approved_at = now
    _rescore(example)
    return example


def _merge_vote(example: TrainingExample, vote: ExampleVote, *, now) -> None:
    label = vote.label.strip()
    _add_vote(example, label, vote.key)
    if vote.operation_id is not None:
        example.operation_type, example.operation_id = vote.operation_type, vote.operation_id
    if vote.feedback_id is not None:
        example.feedback_id = vote.feedback_id
    if not _is_reviewed(example):
        votes = example.label_votes
        best = max(votes.values())
        winner = label if votes.get(label) == best else max(votes, key=votes.get)
        if winner != example.expected_output:
            example.expected_output = winner
            _clear_noise(example)
        if SOURCE_TRUST[vote.source] >= SOURCE_TRUST.get(example.source, 0):
            example.source = vote.source
        if vote.approve and example.validation_status != ValidationStatus.APPROVED:
            example.validation_status = ValidationStatus.APPROVED
            example.approved_at = now
    _rescore(example)


def _withdraw_vote(example: TrainingExample, vote: ExampleVote) -> bool:
    """Take back `vote.key`'s vote; until a review, the label follows the remaining votes
    (the current label keeps a tie). False when that key had no vote here."""
    if _remove_vote(example, vote.key) is None:
        return False
    votes = example.label_votes
    if (
        votes
        and not _is_reviewed(example)
        and votes.get(example.expected_output) != max(votes.values())
    ):
        example.expected_output = max(votes, key=votes.get)
        _clear_noise(example)
    _rescore(example)
    return True


def _vote_event(example, vote: ExampleVote, action: str, from_label="", from_status=""):
    return TrainingExampleEvent(
        example=example,
        organization_id=example.organization_id,
        action=action,
        actor=vote.actor,
        source=vote.source,
        from_label=from_label,
        to_label=example.expected_output if vote.withdraw else vote.label.strip(),
        from_status=from_status,
        to_status=example.validation_status,
        notes=vote.notes,
    )


def training_example_upsert(*, organization: Organization, **vote) -> TrainingExample:
    """One vote (see ExampleVote and training_examples_upsert)."""
    return training_examples_upsert(organization=organization, votes=[ExampleVote(**vote)])[0]


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
