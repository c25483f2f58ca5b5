"""A reviewer's decisions on training examples: approve, reject, relabel, bulk review. A
decision settles a dispute: the reviewer has seen the votes."""

from django.db import transaction
from django.utils import timezone

from aiops.exceptions import InvalidInput, NotFound
from aiops.models import Organization
from training.choices import ExampleEventAction, ExampleSource, ReviewDecision, ValidationStatus
from training.importers import MAX_LABEL_LENGTH
from training.labels import LabelSets
from training.models import TrainingExample, TrainingExampleEvent
from training.services.examples import _clear_noise, _rescore, cast_vote


def _apply_review(
    example: TrainingExample, *, decision: str, actor, notes: str, label: str, now
) -> TrainingExampleEvent:
    before_label, before_status = example.expected_output, example.validation_status
    if decision == ReviewDecision.REJECT:
        example.validation_status = ValidationStatus.REJECTED
        example.approved_at = None
        review = "rejected"
    else:
        if decision == ReviewDecision.RELABEL:
            cast_vote(example, "review:", label, ExampleSource.REVIEWER)
        if decision == ReviewDecision.RELABEL and label != example.expected_output:
            example.expected_output = label
            example.source = ExampleSource.REVIEWER
            _clear_noise(example)
            example.approved_at = now  # a new label is new validated data
        if example.validation_status != ValidationStatus.APPROVED:
            example.approved_at = now
        example.validation_status = ValidationStatus.APPROVED
        review = "approved"
    example.disputed = False
    example.reviewer = actor
    example.reviewed_at = now
    example.review_notes = notes
    example.quality_parts = {**(example.quality_parts or {}), "review": review}
    _rescore(example)
    action = {
        ReviewDecision.APPROVE: ExampleEventAction.APPROVED,
        ReviewDecision.REJECT: ExampleEventAction.REJECTED,
        ReviewDecision.RELABEL: ExampleEventAction.RELABELED,
    }[decision]
    return TrainingExampleEvent(
        example=example,
        organization_id=example.organization_id,
        action=action,
        actor=actor,
        from_label=before_label,
        to_label=example.expected_output,
        from_status=before_status,
        to_status=example.validation_status,
        notes=notes,
    )


REVIEW_FIELDS = [
    "expected_output",
    "label_votes",
    "operation_votes",
    "source",
    "disputed",
    "validation_status",
    "approved_at",
    "reviewer",
    "reviewed_at",
    "review_notes",
    "quality_score",
    "quality_parts",
    "noise_flag",
    "suggested_label",
    "label_quality",
    "noise_checked_at",
    "updated_at",
]


@transaction.atomic
def training_examples_review(
    *,
    organization: Organization,
    example_ids: list[int],
    decision: str,
    actor=None,
    label: str = "",
    notes: str = "",
) -> list[TrainingExample]:
    """Approve, reject or relabel several examples of one organization at once, each recorded
    (reviewer, time, notes and an event). The decision overrides the computed quality and
    settles any dispute. A relabel's label must be in each example's task label set."""
    if decision not in ReviewDecision.values:
        raise InvalidInput(
            f"Unknown decision {decision!r}.", fields={"decision": ReviewDecision.values}
        )
    label = (label or "").strip()
    if decision == ReviewDecision.RELABEL and not 0 < len(label) <= MAX_LABEL_LENGTH:
        raise InvalidInput(
            "Relabel needs a label.", fields={"label": [f"1 to {MAX_LABEL_LENGTH} characters."]}
        )
    ids = sorted(set(example_ids))
    examples = list(
        TrainingExample.objects.select_for_update()
        .filter(organization=organization, pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {ex.pk for ex in examples})
    if missing:
        raise NotFound(f"No training examples {missing} in this organization.")
    if decision == ReviewDecision.RELABEL:
        labels = LabelSets(organization)
        for task in sorted({ex.task for ex in examples}):
            labels.check(label, task=task)
    now = timezone.now()
    events = [
        _apply_review(ex, decision=decision, actor=actor, notes=notes, label=label, now=now)
        for ex in examples
    ]
    for ex in examples:
        ex.updated_at = now
    TrainingExample.objects.bulk_update(examples, REVIEW_FIELDS)
    TrainingExampleEvent.objects.bulk_create(events)
    return examples


def training_example_approve(*, example: TrainingExample, actor=None, notes: str = ""):
    return training_examples_review(
        organization=example.organization,
        example_ids=[example.pk],
        decision=ReviewDecision.APPROVE,
        actor=actor,
        notes=notes,
    )[0]


def training_example_reject(*, example: TrainingExample, actor=None, notes: str = ""):
    return training_examples_review(
        organization=example.organization,
        example_ids=[example.pk],
        decision=ReviewDecision.REJECT,
        actor=actor,
        notes=notes,
    )[0]


def training_example_relabel(
    *, example: TrainingExample, label: str, actor=None, notes: str = ""
) -> TrainingExample:
    return training_examples_review(
        organization=example.organization,
        example_ids=[example.pk],
        decision=ReviewDecision.RELABEL,
        actor=actor,
        label=label,
        notes=notes,
    )[0]
