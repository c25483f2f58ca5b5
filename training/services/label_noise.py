"""Label noise detection over an org's training examples."""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from aiops.exceptions import InvalidInput
from aiops.models import Organization
from models_registry.choices import CLASSIFIER_TASKS
from training import noise
from training.choices import ValidationStatus
from training.models import TrainingExample
from training.services.examples import _rescore


def label_noise_check_due() -> list[tuple[int, str]]:
    """(organization id, task) of every classification task whose approved or pending
    examples changed (or were added) since their last noise check: the ones beat re-checks.
    Noise results themselves do not count as a change (they leave updated_at alone)."""
    changed = TrainingExample.objects.filter(
        task__in=CLASSIFIER_TASKS,
        validation_status__in=[ValidationStatus.APPROVED, ValidationStatus.PENDING],
    ).filter(Q(noise_checked_at__isnull=True) | Q(updated_at__gt=F("noise_checked_at")))
    pairs = changed.order_by().values_list("organization_id", "task").distinct()
    return sorted(pairs)


@dataclass(frozen=True)
class NoiseSummary:
    examples: int
    evaluated: int
    flagged: int
    seconds: float
    flagged_ids: tuple[int, ...] = ()  # the examples flagged, in id order


def label_noise_detect(
    *,
    organization: Organization,
    task: str,
    include_pending: bool = False,
    n_folds: int = 5,
    random_state: int = 0,
    profile: str = noise.SVM_PROFILE,
) -> NoiseSummary:
    """Confident learning over the org's validated examples of `task` (and pending ones when
    asked), stored per example (label_noise_detect_rows)."""
    if task not in CLASSIFIER_TASKS:
        raise InvalidInput(
            f"Noise detection needs a classification task, not {task}.",
            fields={"task": list(CLASSIFIER_TASKS)},
        )
    statuses = [ValidationStatus.APPROVED]
    if include_pending:
        statuses.append(ValidationStatus.PENDING)
    rows = list(
        TrainingExample.objects.filter(
            organization=organization, task=task, validation_status__in=statuses
        )
        .order_by("pk")
        .values_list("pk", "input_text", "expected_output")
    )
    return label_noise_detect_rows(
        rows=rows, n_folds=n_folds, random_state=random_state, profile=profile
    )


# Examples written per transaction: short transactions, so the API and the sweep can write
# between them (on SQLite a transaction holds the database's one write lock).
WRITE_BATCH = 200


def _store_noise(ids: list[int], found: dict, now) -> None:
    """Write the evidence of a batch of examples whose label is still the one judged."""
    with transaction.atomic():
        examples = list(TrainingExample.objects.select_for_update().filter(pk__in=ids))
        changed = []
        for example in examples:
            label, item = found[example.pk]
            if example.expected_output != label:
                continue
            example.noise_flag = item["is_issue"]
            example.suggested_label = str(item["suggested_label"]) if item["evaluated"] else ""
            example.label_quality = item["label_quality"]
            example.noise_checked_at = now
            _rescore(example)
            changed.append(example)
        TrainingExample.objects.bulk_update(
            changed,
            [
                "noise_flag",
                "suggested_label",
                "label_quality",
                "noise_checked_at",
                "quality_score",
                "quality_parts",
            ],
        )


def label_noise_detect_rows(
    *,
    rows: Sequence[tuple[int, str, str]],
    n_folds: int = 5,
    random_state: int = 0,
    profile: str = noise.SVM_PROFILE,
) -> NoiseSummary:
    """Confident learning over (example id, text, label) rows of one org's task (the nightly
    check's, or a training run's snapshot): store per example the flag, the suggested label
    and the label quality (a quality part). The fit runs outside any transaction; only
    examples whose label is unchanged since the snapshot are written."""
    started = time.perf_counter()
    if not rows:
        return NoiseSummary(examples=0, evaluated=0, flagged=0, seconds=0.0)
    report = noise.find_label_issues(
        [r[1] for r in rows],
        [r[2] for r in rows],
        profile=profile,
        n_folds=n_folds,
        random_state=random_state,
    )
    found = {r[0]: (r[2], item) for r, item in zip(rows, report.rows(), strict=True)}
    now = timezone.now()
    ids = sorted(found)
    for start in range(0, len(ids), WRITE_BATCH):
        _store_noise(ids[start : start + WRITE_BATCH], found, now)
    flagged_ids = tuple(sorted(pk for pk, (_, item) in found.items() if item["is_issue"]))
    return NoiseSummary(
        examples=len(rows),
        evaluated=int(report.evaluated.sum()),
        flagged=len(flagged_ids),
        seconds=round(time.perf_counter() - started, 3),
        flagged_ids=flagged_ids,
    )
