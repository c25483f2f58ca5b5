"""Training examples: content hashing, votes (add / upsert / withdraw), file imports.

Every example keeps one vote per voter in `operation_votes` (voter → {"label", "source"}):
a feedback record, an operation, an import, a review, a user adding it by hand. Who may set
the label depends on trust:

- An example is *trusted* when it is approved, a reviewer has decided on it, or an expert, a
  reviewer or an import labelled it (`TRUSTED_SOURCES`). A vote that disagrees with a trusted
  label never changes its label, source or status: it marks the example `disputed` (with a
  "disputed" event), for a reviewer to settle; the example keeps training on its label
  meanwhile. The one exception is a voter changing its own vote when nobody else stands
  behind the label (no review, no other trusted vote for it): a re-import, or an expert
  correcting their own example, replaces what that voter set.
- Any other example (pending, from feedback or automated) is labelled by its votes: a vote
  from a trusted source labels it; otherwise the label is the weighted majority, each vote
  weighing its source's SOURCE_TRUST (ties to the newest vote).

Only a vote that disagrees with a trusted label and cannot change it raises a dispute: where
a trusted voter sets the label (over feedback, or replacing its own earlier vote), the votes
it supersedes stay visible but dispute nothing. A dispute ends with a reviewer's decision, or
when no vote disagrees with the label any more (the disputing vote was withdrawn).
"""

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import InvalidInput
from aiops.models import Organization
from models_registry.choices import Task
from training.choices import ExampleEventAction, ExampleSource, ValidationStatus
from training.importers import MAX_LABEL_LENGTH, ParsedRow, label_errors
from training.labels import LabelSets, task_label_set
from training.models import TrainingExample, TrainingExampleEvent
from training.quality import (
    SOURCE_TRUST,
    TRUSTED_SOURCES,
    label_weights,
    score_example,
    weighted_label,
)

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
    "disputed",
    "noise_flag",
    "suggested_label",
    "label_quality",
    "noise_checked_at",
    "updated_at",
]
IMPORT_VOTER = "import"


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
    """Upsert examples by content hash (a duplicate text updates its example, never adds one;
    within the file the last row of a text wins), as votes of one voter, the import: see the
    module docstring. So a re-import replaces what an earlier import set (label, source,
    status: approved with `approve`, else pending) unless someone else stands behind the
    current label (a review, or another trusted vote for it); then a different label is a
    disagreeing vote like any other, and disputes the example. Every row's label must be in
    the task's label set: otherwise InvalidInput lists the bad rows' lines and nothing is
    imported."""
    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if source not in ExampleSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", fields={"source": ExampleSource.values})
    valid = task_label_set(organization=organization, task=task)
    bad = label_errors(rows, valid)
    if bad:
        raise InvalidInput(
            f"{len(bad)} row(s) have a label outside the {task} labels "
            f"({', '.join(valid or []) or 'none'}); nothing was imported.",
            fields={"label": [f"line {error['line']}: {error['message']}" for error in bad]},
        )
    by_hash: dict[str, ParsedRow] = {}
    for row in rows:
        by_hash[content_hash(row.text)] = row
    unique = list(by_hash.values())
    created = 0
    for start in range(0, len(unique), BATCH):
        chunk = unique[start : start + BATCH]
        votes = [
            ExampleVote(
                task=task,
                text=row.text,
                label=row.label,
                source=source,
                approve=approve,
                actor=actor,
                voter=IMPORT_VOTER,
            )
            for row in chunk
        ]
        created += _upsert(organization, votes, on_invalid=None)[1]
        if progress:
            progress(len(chunk))
    return ImportSummary(
        created=created, updated=len(unique) - created, merged_in_file=len(rows) - len(unique)
    )


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


def _votes(example: TrainingExample) -> dict[str, dict[str, str]]:
    """Voter → {"label", "source"}."""
    return dict(example.operation_votes or {})


def _weights(example: TrainingExample) -> dict[str, float]:
    return label_weights((v["label"], v["source"]) for v in _votes(example).values())


def _agreement(example: TrainingExample) -> float | None:
    """Trust-weighted share of the votes for the label; None until there are two votes (one
    vote agrees with itself)."""
    if len(example.operation_votes or {}) < 2:
        return None
    weights = _weights(example)
    return weights.get(example.expected_output, 0.0) / sum(weights.values())


def _rescore(example: TrainingExample) -> None:
    """Recompute the quality parts; a reviewer's decision, when there is one, sets the total."""
    quality = score_example(
        source=example.source,
        text=example.input_text,
        agreement=_agreement(example),
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


def _set_votes(example: TrainingExample, votes: dict[str, dict[str, str]]) -> None:
    example.operation_votes = votes
    example.label_votes = dict(Counter(vote["label"] for vote in votes.values()))


def cast_vote(example: TrainingExample, voter: str, label: str, source: str) -> dict | None:
    """Record `voter`'s vote for `label`, replacing its earlier one (returned, if any)."""
    votes = _votes(example)
    previous = votes.pop(voter, None)
    votes[voter] = {"label": label, "source": source}
    _set_votes(example, votes)
    return previous


def _remove_vote(example: TrainingExample, voter: str) -> dict | None:
    """Take back `voter`'s vote, if any; returns it."""
    votes = _votes(example)
    previous = votes.pop(voter, None)
    if previous is not None:
        _set_votes(example, votes)
    return previous


def _is_reviewed(example: TrainingExample) -> bool:
    return (example.quality_parts or {}).get("review") in REVIEW_QUALITY


def _is_trusted(example: TrainingExample) -> bool:
    """Approved, decided by a reviewer, or labelled by an expert, a reviewer or an import:
    votes no longer move its label (they dispute it)."""
    return (
        example.validation_status == ValidationStatus.APPROVED
        or example.source in TRUSTED_SOURCES
        or _is_reviewed(example)
    )


def _has_dissent(example: TrainingExample) -> bool:
    """Some vote is for another label than the example's."""
    return any(v["label"] != example.expected_output for v in _votes(example).values())


@dataclass(frozen=True)
class ExampleVote:
    """One vote for `label` as the label of `text` (from feedback, an import, an expert or a
    reviewer). One vote per voter: the feedback record, else the operation, else `voter`
    (an import), else the actor, else the source; a voter's new vote replaces its earlier one."""

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
    voter: str = ""

    def check(self, *, labels: LabelSets) -> None:
        """InvalidInput unless the training app takes this vote (task, source, text, and a
        label in the task's label set)."""
        _check_example_input(
            task=self.task,
            text=self.text,
            label=None if self.withdraw else self.label,
            source=None if self.withdraw else self.source,
        )
        if not self.withdraw:
            labels.check(self.label.strip(), task=self.task)

    @property
    def key(self) -> str:
        if self.feedback_id is not None:
            return f"feedback:{self.feedback_id}"
        if self.operation_id is not None:
            return f"{self.operation_type}:{self.operation_id}"
        if self.voter:
            return f"{self.voter}:"
        if getattr(self.actor, "pk", None) is not None:
            return f"user:{self.actor.pk}"
        return f"{self.source}:"


# A concurrent insert of the same text makes an attempt fail; the next one merges into it.
UPSERT_ATTEMPTS = 3


def training_examples_upsert(
    *,
    organization: Organization,
    votes: Sequence[ExampleVote],
    on_invalid: Callable[[ExampleVote, InvalidInput], None] | None = None,
) -> list[TrainingExample | None]:
    """Apply votes in order, one example per normalised text, org and task: a vote creates
    the example for its text or merges into the one that exists, by the rules of trust in
    the module docstring. A withdrawal takes a vote back: an untrusted example's label then
    follows the remaining votes (the current label keeps a tie, where merging gives it to the
    newest vote: vote order is not stored), a trusted one's dispute ends when no vote
    disagrees any more, and an unreviewed example with no vote left is deleted.

    Every vote is checked first (text, source, label in the task's label set): an invalid one
    raises InvalidInput, or with `on_invalid` is passed to it and skipped. Returns each vote's
    example (None where there is none, it was deleted or the vote skipped). The examples are
    row-locked in primary-key order and new ones inserted in key order, so concurrent callers
    cannot deadlock on them, and concurrent votes on the same text never duplicate or lose a
    write. Three statements for any number of votes, plus one per thousand rows, plus one
    reading the organization's categories when a vote is for a category."""
    return _upsert(organization, votes, on_invalid=on_invalid)[0]


def _upsert(organization, votes, *, on_invalid) -> tuple[list[TrainingExample | None], int]:
    """training_examples_upsert, and how many examples it created."""
    labels = LabelSets(organization)
    accepted: list[int] = []
    for index, vote in enumerate(votes):
        try:
            vote.check(labels=labels)
        except InvalidInput as error:
            if on_invalid is None:
                raise
            on_invalid(vote, error)
            continue
        accepted.append(index)
    results: list[TrainingExample | None] = [None] * len(votes)
    if not accepted:
        return results, 0
    applied, created = _apply(organization, [votes[index] for index in accepted])
    for index, example in zip(accepted, applied, strict=True):
        results[index] = example
    return results, created


# savepoint=False: inside a caller's transaction (the feedback sweep) a failure here fails
# that whole transaction anyway, so a savepoint's two round trips would buy nothing. The
# votes are checked before it: a vote refused never breaks the caller's transaction.
@transaction.atomic(savepoint=False)
def _apply(organization, votes: list[ExampleVote]) -> tuple[list[TrainingExample | None], int]:
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
                voted, action = True, _merge_vote(example, vote, now=now)
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
        return examples, len(new)
    raise AssertionError("unreachable")


def _new_example(organization, vote: ExampleVote, digest: str, *, now) -> TrainingExample:
    example = TrainingExample(
        organization=organization,
        task=vote.task,
        content_hash=digest,
        operation_type=vote.operation_type,
        operation_id=vote.operation_id,
        feedback_id=vote.feedback_id,
    )
    cast_vote(example, vote.key, vote.label.strip(), vote.source)
    _label_by(example, vote, now=now)
    _rescore(example)
    return example


def _merge_vote(example: TrainingExample, vote: ExampleVote, *, now) -> str:
    """Merge one vote into an example that exists; returns the event's action."""
    label = vote.label.strip()
    trusted = _is_trusted(example)
    replaced = cast_vote(example, vote.key, label, vote.source)
    if vote.operation_id is not None:
        example.operation_type, example.operation_id = vote.operation_type, vote.operation_id
    if vote.feedback_id is not None:
        example.feedback_id = vote.feedback_id
    action = ExampleEventAction.MERGED
    if not trusted and vote.source in TRUSTED_SOURCES:
        _label_by(example, vote, now=now)
    elif not trusted:
        _follow_votes(example, newest=label)
        if vote.approve and example.expected_output == label:
            _set_status(example, approve=True, actor=vote.actor, now=now)
    elif label == example.expected_output:
        if vote.approve and example.validation_status == ValidationStatus.PENDING:
            _set_status(example, approve=True, actor=vote.actor, now=now)
    elif _stood_on(example, vote.key, replaced):
        _label_by(example, vote, now=now)
    else:
        example.disputed = True
        action = ExampleEventAction.DISPUTED
    _rescore(example)
    return action


def _stood_on(example: TrainingExample, voter: str, replaced: dict | None) -> bool:
    """The label stood on `voter`'s replaced vote alone: no review, no other trusted vote."""
    if replaced is None or replaced["label"] != example.expected_output:
        return False
    if _is_reviewed(example):
        return False
    return not any(
        vote["label"] == example.expected_output and vote["source"] in TRUSTED_SOURCES
        for key, vote in _votes(example).items()
        if key != voter
    )


def _label_by(example: TrainingExample, vote: ExampleVote, *, now) -> None:
    """The vote sets the example: its text, label, source and status (approved with
    `approve`, else pending); the dispute ends unless another vote still disagrees."""
    label = vote.label.strip()
    example.input_text = vote.text
    if example.expected_output != label:
        example.expected_output = label
        _clear_noise(example)
    example.source = vote.source
    _set_status(example, approve=vote.approve, actor=vote.actor, now=now)
    if example.disputed and not _has_dissent(example):
        example.disputed = False


def _set_status(example: TrainingExample, *, approve: bool, actor, now) -> None:
    if approve:
        if example.validation_status != ValidationStatus.APPROVED or example.approved_at is None:
            example.approved_at = now
        example.validation_status = ValidationStatus.APPROVED
        example.reviewer, example.reviewed_at = actor, now
    elif example.validation_status != ValidationStatus.PENDING:
        example.validation_status = ValidationStatus.PENDING
        example.approved_at = example.reviewer = example.reviewed_at = None


def _follow_votes(example: TrainingExample, *, newest: str | None = None) -> None:
    """An untrusted example's label: the weighted majority of its votes; its source: the most
    trusted one among the votes for that label."""
    votes = _votes(example).values()
    if not votes:
        return
    winner = weighted_label(_weights(example), current=example.expected_output, newest=newest)
    if winner != example.expected_output:
        example.expected_output = winner
        _clear_noise(example)
    sources = [vote["source"] for vote in votes if vote["label"] == winner]
    example.source = max(sources, key=SOURCE_TRUST.__getitem__)


def _withdraw_vote(example: TrainingExample, vote: ExampleVote) -> bool:
    """Take back `vote.key`'s vote; False when that key had no vote here."""
    if _remove_vote(example, vote.key) is None:
        return False
    if not _is_trusted(example):
        _follow_votes(example)
    elif example.disputed and not _has_dissent(example):
        example.disputed = False
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
