"""Every write of the training app: examples, imports and training runs."""

import hashlib
import inspect
import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.choices import RESOLVED_STATUSES
from aiops.exceptions import Conflict, DomainError, InvalidInput, NotFound
from aiops.models import Organization, Ticket
from models_registry import services as registry_services
from models_registry.choices import CLASSIFIER_TASKS, Task
from models_registry.selectors import deployment_get_active, model_version_latest
from models_registry.services import model_version_deploy, model_version_register
from models_registry.serving import model_load
from training import estimators, noise
from training.choices import (
    CandidateAction,
    ExampleEventAction,
    ExampleSource,
    ReviewDecision,
    RunStatus,
    RunTrigger,
    ValidationStatus,
)
from training.evaluation import classification_metrics, holdout_split
from training.importers import MAX_LABEL_LENGTH, ParsedRow
from training.models import RetrainPolicy, TrainingExample, TrainingExampleEvent, TrainingRun
from training.quality import SOURCE_TRUST, score_example
from training.retrieval import ResolutionRetriever
from training.selectors import (
    retrain_facts,
    retrain_facts_all,
    retrain_policy_get,
    training_run_get_busy,
)
from training.triggers import RetrainReason, should_retrain

logger = logging.getLogger(__name__)
BATCH = 1000
MIN_EXAMPLES = 10
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


@transaction.atomic
def training_run_create(
    *,
    organization: Organization,
    task: str,
    trigger: str = RunTrigger.MANUAL,
    params: dict | None = None,
    actor=None,
    enqueue: bool = True,
) -> TrainingRun:
    """Queue a run; one queued or running run per org and task at a time. With
    `enqueue=False` the caller executes it (training_run_execute) in its own process."""
    from training.tasks import training_run_execute_task

    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if trigger not in RunTrigger.values:
        raise InvalidInput(f"Unknown trigger {trigger!r}.", fields={"trigger": RunTrigger.values})
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    busy = training_run_get_busy(organization=organization, task=task)
    if busy is not None:
        raise Conflict(f"Training run {busy.pk} for {task} is already {busy.status}.")
    params = {"estimator": "fast", "random_state": 0, "holdout": 0.2, **(params or {})}
    if params["estimator"] not in estimators.PROFILES:
        raise InvalidInput("Unknown estimator.", fields={"estimator": list(estimators.PROFILES)})
    try:
        # The partial unique constraint is the guard that holds across processes and
        # databases (SQLite ignores the row lock above).
        with transaction.atomic():
            run = TrainingRun.objects.create(
                organization=organization,
                task=task,
                trigger=trigger,
                params=params,
                requested_by=actor,
            )
    except IntegrityError:
        raise Conflict(f"A training run for {task} is already queued or running.") from None
    if enqueue:
        transaction.on_commit(lambda: training_run_execute_task.delay(run.pk))
    return run


def _dataset_hash(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(str(part) for part in row).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _classifier_snapshot(run: TrainingRun):
    """The approved examples now, or, when the run reproduces a snapshot, exactly those
    examples, which must hash as they did."""
    examples = TrainingExample.objects.filter(organization_id=run.organization_id, task=run.task)
    snapshot_ids = run.params.get("example_ids")
    if snapshot_ids is None:
        examples = examples.filter(validation_status=ValidationStatus.APPROVED)
    else:
        examples = examples.filter(pk__in=snapshot_ids)
    rows = list(examples.order_by("pk").values_list("pk", "input_text", "expected_output"))
    if snapshot_ids is not None:
        expected = run.params.get("dataset_hash")
        if len(rows) != len(set(snapshot_ids)) or (expected and _dataset_hash(rows) != expected):
            raise Conflict(
                "The snapshot cannot be reproduced: its examples were deleted or changed."
            )
    if len(rows) < MIN_EXAMPLES or len({r[2] for r in rows}) < 2:
        raise InvalidInput(
            f"Training {run.task} needs at least {MIN_EXAMPLES} approved examples of at least "
            f"2 labels; found {len(rows)}."
        )
    return rows


@transaction.atomic
def training_run_reproduce(*, run: TrainingRun, actor=None, enqueue: bool = True) -> TrainingRun:
    """Queue a run on the same snapshot (example ids and hash) with the same parameters."""
    if not run.example_ids or not run.dataset_hash:
        raise InvalidInput(f"Training run {run.pk} has no dataset snapshot to reproduce.")
    if run.task not in CLASSIFIER_TASKS:
        raise InvalidInput("Only classifier runs can be reproduced from their snapshot.")
    params = {k: v for k, v in run.params.items() if k not in ("reasons",)}
    params.update(example_ids=run.example_ids, dataset_hash=run.dataset_hash, reproduces_run=run.pk)
    return training_run_create(
        organization=run.organization,
        task=run.task,
        trigger=RunTrigger.MANUAL,
        params=params,
        actor=actor,
        enqueue=enqueue,
    )


def _progress(run: TrainingRun, value: float) -> None:
    run.progress = value
    TrainingRun.objects.filter(pk=run.pk).update(progress=value)


def _train_classifier(run: TrainingRun) -> dict:
    rows = _classifier_snapshot(run)
    ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    labels = [r[2] for r in rows]
    run.example_ids, run.dataset_hash = ids, _dataset_hash(rows)
    TrainingRun.objects.filter(pk=run.pk).update(
        example_ids=ids, dataset_hash=run.dataset_hash, progress=0.1
    )
    profile, seed = run.params["estimator"], run.params["random_state"]
    train_idx, test_idx = holdout_split(labels, test_size=run.params["holdout"], random_state=seed)
    label_set = sorted(set(labels))
    model = estimators.build_estimator(profile, random_state=seed)
    model.fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    _progress(run, 0.5)
    holdout_texts = [texts[i] for i in test_idx]
    holdout_labels = [labels[i] for i in test_idx]
    metrics = {}
    if len(test_idx):
        metrics = classification_metrics(
            holdout_labels, list(model.predict(holdout_texts)), labels=label_set
        )
        metrics["ece"] = round(
            float(
                estimators.expected_calibration_error(
                    holdout_labels, model.predict_proba(holdout_texts), model.classes_
                )
            ),
            6,
        )
    run.comparison = _compare_with_active(
        run, model, [ids[i] for i in test_idx], holdout_texts, holdout_labels, label_set
    )
    _progress(run, 0.7)
    model = estimators.build_estimator(profile, random_state=seed).fit(texts, labels)
    _progress(run, 0.9)
    return {
        "model": model,
        "labels": label_set,
        "metrics": metrics,
        "estimator": profile,
        "params": estimators.estimator_description(model),
    }


def _compare_with_active(run, candidate, ids, texts, labels, label_set) -> dict:
    """Candidate (fit without the holdout) against the active version on the holdout
    examples the active version was not trained on: scoring it on its own training data
    would flatter it."""
    deployment = deployment_get_active(organization=run.organization, task=run.task)
    if deployment is None or not texts:
        return {}
    active = deployment.model_version
    seen = set(
        TrainingRun.objects.filter(model_version=active)
        .values_list("example_ids", flat=True)
        .first()
        or []
    )
    keep = [i for i, pk in enumerate(ids) if pk not in seen]
    comparison = {
        "active_version": active.version,
        "holdout_size": len(keep),
        "holdout_seen_by_active": len(ids) - len(keep),
    }
    if not keep:
        return {
            **comparison,
            "comparable": False,
            "reason": "The active version was trained on every holdout example.",
        }
    texts = [texts[i] for i in keep]
    labels = [labels[i] for i in keep]
    model = model_load(version=active)
    active_metrics = classification_metrics(labels, list(model.predict(texts)), labels=label_set)
    candidate_metrics = classification_metrics(
        labels, list(candidate.predict(texts)), labels=label_set
    )
    comparison.update(
        comparable=True,
        active_accuracy=active_metrics["accuracy"],
        active_f1_macro=active_metrics["f1_macro"],
        candidate_accuracy=candidate_metrics["accuracy"],
        candidate_f1_macro=candidate_metrics["f1_macro"],
        accuracy_delta=round(candidate_metrics["accuracy"] - active_metrics["accuracy"], 6),
    )
    for name, scored in (("active_ece", model), ("candidate_ece", candidate)):
        if hasattr(scored, "predict_proba"):
            comparison[name] = round(
                float(
                    estimators.expected_calibration_error(
                        labels, scored.predict_proba(texts), scored.classes_
                    )
                ),
                6,
            )
    return comparison


def _train_retriever(run: TrainingRun) -> dict:
    tickets = list(
        Ticket.objects.filter(organization_id=run.organization_id, status__in=RESOLVED_STATUSES)
        .exclude(resolution="")
        .order_by("pk")
        .values_list("pk", "subject", "body", "resolution")
    )
    if len(tickets) < MIN_EXAMPLES:
        raise InvalidInput(
            f"Reply suggestion needs at least {MIN_EXAMPLES} resolved tickets with a "
            f"resolution; found {len(tickets)}."
        )
    run.example_ids = [t[0] for t in tickets]
    run.dataset_hash = _dataset_hash(tickets)
    model = ResolutionRetriever().fit(
        [f"{t[1]}\n{t[2]}" for t in tickets], [t[3] for t in tickets], [t[0] for t in tickets]
    )
    return {
        "model": model,
        "labels": [],
        "metrics": {"documents": len(tickets)},
        "estimator": "tfidf-retrieval",
        "params": {"ngram_range": [1, 2]},
    }


def _act_on_candidate(run: TrainingRun, candidate, active_version) -> dict:
    """What the policy says to do with a candidate that beats the active version on the same
    holdout: nothing, a canary, or an A/B test (through the registry's services, when this
    installation has them). Never fails the run: a refusal is recorded instead."""
    policy = retrain_policy_get(organization=run.organization, task=run.task)
    delta = run.comparison.get("accuracy_delta")
    outcome = {"policy": policy.on_better_candidate, "accuracy_delta": delta}
    if policy.on_better_candidate == CandidateAction.NOTHING:
        return {**outcome, "status": "none"}
    if delta is None or delta <= 0 or delta < policy.min_improvement:
        return {**outcome, "status": "not_better", "min_improvement": policy.min_improvement}
    reason = f"Candidate from training run {run.pk}: holdout accuracy {delta:+.4f}"
    deploy = registry_services.model_version_deploy
    ab_test_start = getattr(registry_services, "ab_test_start", None)
    try:
        with transaction.atomic():
            if policy.on_better_candidate == CandidateAction.CANARY:
                if "strategy" not in inspect.signature(deploy).parameters:
                    return {**outcome, "status": "unavailable"}
                deploy(
                    model_version=candidate,
                    strategy="canary",
                    percentage=policy.candidate_percentage,
                    actor=run.requested_by,
                    reason=reason,
                )
                return {**outcome, "status": "canary", "percentage": policy.candidate_percentage}
            if ab_test_start is None:
                return {**outcome, "status": "unavailable"}
            ab_test = ab_test_start(
                version_a=active_version,
                version_b=candidate,
                split_percentage=policy.candidate_percentage,
                actor=run.requested_by,
                reason=reason,
            )
            return {**outcome, "status": "ab_test", "ab_test_id": ab_test.pk}
    except DomainError as exc:
        return {**outcome, "status": "refused", "error": exc.message}


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Fit, evaluate on a stratified holdout, register the version; deploy it if none is."""
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=0.05
    )
    run = TrainingRun.objects.select_related("organization").get(pk=run_id)
    if not claimed:
        return run
    started = time.perf_counter()
    try:
        trained = (_train_classifier if run.task in CLASSIFIER_TASKS else _train_retriever)(run)
        with transaction.atomic():
            latest = model_version_latest(organization=run.organization, task=run.task)
            label_change = latest is not None and sorted(latest.labels) != trained["labels"]
            version = model_version_register(
                organization=run.organization,
                task=run.task,
                model=trained["model"],
                bump="major" if label_change else "minor",
                estimator=trained["estimator"],
                labels=trained["labels"],
                metrics=trained["metrics"],
                params=trained["params"],
                dataset_hash=run.dataset_hash,
                actor=run.requested_by,
            )
            active = deployment_get_active(organization=run.organization, task=run.task)
            if active is None:
                model_version_deploy(
                    model_version=version,
                    actor=run.requested_by,
                    reason=f"First version, from training run {run.pk}",
                )
            elif run.task in CLASSIFIER_TASKS:
                run.comparison = {
                    **run.comparison,
                    "candidate_action": _act_on_candidate(run, version, active.model_version),
                }
            run.model_version = version
            run.metrics = trained["metrics"]
            run.status = RunStatus.SUCCEEDED
            run.progress = 1.0
            run.duration_s = round(time.perf_counter() - started, 3)
            run.finished_at = timezone.now()
            run.save()
    except Exception as exc:  # noqa: BLE001 - a failed run records why, whatever it was
        logger.exception("Training run %s failed", run.pk)
        TrainingRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            example_ids=run.example_ids,
            dataset_hash=run.dataset_hash,
            error=getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}",
            duration_s=round(time.perf_counter() - started, 3),
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
    return run


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


@transaction.atomic
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
    example = (
        TrainingExample.objects.select_for_update()
        .filter(organization=organization, task=task, content_hash=digest)
        .first()
    )
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
            example = TrainingExample.objects.select_for_update().get(
                organization=organization, task=task, content_hash=digest
            )
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
            _add_vote(example, label, "review:")
        if decision == ReviewDecision.RELABEL and label != example.expected_output:
            example.expected_output = label
            example.source = ExampleSource.REVIEWER
            _clear_noise(example)
            example.approved_at = now  # a new label is new validated data
        if example.validation_status != ValidationStatus.APPROVED:
            example.approved_at = now
        example.validation_status = ValidationStatus.APPROVED
        review = "approved"
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
    (reviewer, time, notes and an event). The decision overrides the computed quality."""
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


@dataclass(frozen=True)
class NoiseSummary:
    examples: int
    evaluated: int
    flagged: int
    seconds: float


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
    asked): store per example the flag, the suggested label and the label quality (a quality
    part). The fit runs outside any transaction; only examples whose label is unchanged since
    the snapshot are written."""
    if task not in CLASSIFIER_TASKS:
        raise InvalidInput(
            f"Noise detection needs a classification task, not {task!r}.",
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
    with transaction.atomic():
        examples = list(
            TrainingExample.objects.select_for_update().filter(pk__in=list(found)).order_by("pk")
        )
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
            batch_size=BATCH,
        )
    return NoiseSummary(
        examples=len(rows),
        evaluated=int(report.evaluated.sum()),
        flagged=sum(1 for ex in changed if ex.noise_flag),
        seconds=round(time.perf_counter() - started, 3),
    )


POLICY_FIELDS = (
    "enabled",
    "accuracy_threshold",
    "accuracy_window_hours",
    "accuracy_min_samples",
    "min_new_examples",
    "interval_hours",
    "estimator",
    "on_better_candidate",
    "candidate_percentage",
    "min_improvement",
)


_POLICY_CHECKS = {
    "accuracy_threshold": lambda v: 0 <= v <= 1,
    "min_improvement": lambda v: -1 <= v <= 1,
    "candidate_percentage": lambda v: 0 < v < 100,
    "accuracy_window_hours": lambda v: v >= 1,
    "interval_hours": lambda v: v >= 1,
    "min_new_examples": lambda v: v >= 1,
    "accuracy_min_samples": lambda v: v >= 1,
    "estimator": lambda v: v in estimators.PROFILES,
    "on_better_candidate": lambda v: v in CandidateAction.values,
    "enabled": lambda v: isinstance(v, bool),
}


def retrain_policy_errors(changes: dict) -> dict[str, list[str]]:
    """Field errors of a policy change (empty when valid); the admin form shows them too."""
    errors = {name: ["Unknown field."] for name in sorted(set(changes) - set(POLICY_FIELDS))}
    for name, value in changes.items():
        if name not in _POLICY_CHECKS:
            continue
        try:
            ok = _POLICY_CHECKS[name](value)
        except TypeError:
            ok = False
        if not ok:
            errors[name] = ["Out of range or not one of the choices."]
    return errors


@transaction.atomic
def retrain_policy_update(
    *, organization: Organization, task: str, actor=None, **changes
) -> RetrainPolicy:
    """Create or change the retrain policy of an org's task (unknown fields are refused)."""
    if task not in CLASSIFIER_TASKS:
        raise InvalidInput(
            f"Retrain policies are for classification tasks, not {task!r}.",
            fields={"task": list(CLASSIFIER_TASKS)},
        )
    errors = retrain_policy_errors(changes)
    if errors:
        raise InvalidInput("Invalid retrain policy.", fields=errors)
    policy, _ = RetrainPolicy.objects.select_for_update().get_or_create(
        organization=organization, task=task
    )
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.updated_by = actor
    policy.save()
    return policy


@dataclass
class RetrainDecision:
    organization_id: int
    task: str
    reasons: list[RetrainReason]
    run: TrainingRun | None = None
    skipped: str = ""

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "reasons": [r.as_dict() for r in self.reasons],
            "run_id": self.run.pk if self.run else None,
            "skipped": self.skipped,
        }


@dataclass
class RetrainCheck:
    locked: bool  # False: another check held the lock, nothing was done
    decisions: list[RetrainDecision] = field(default_factory=list)

    @property
    def runs(self) -> list[TrainingRun]:
        return [d.run for d in self.decisions if d.run is not None]


RETRAIN_LOCK_KEY = "training:retrain-check"
RETRAIN_LOCK_SECONDS = 240  # below the 5-minute beat period; a crashed holder frees it


@contextmanager
def cache_lock(key: str, *, timeout: int):
    """A lock through the cache: across processes and machines with Redis (REDIS_URL, which
    production requires; `cache.add` is SET NX there). The embedded default has a
    per-process cache, which is enough for its single worker with embedded beat; the
    partial unique constraint on active runs guards against duplicates in any case.
    Yields whether it was acquired; releases only a lock it still holds."""
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


def _queue_retrain(
    *, organization_id: int, task: str, policy: RetrainPolicy, reasons, enqueue: bool, actor=None
) -> RetrainDecision:
    decision = RetrainDecision(organization_id=organization_id, task=task, reasons=reasons)
    try:
        decision.run = training_run_create(
            organization=Organization(pk=organization_id),
            task=task,
            trigger=reasons[0].trigger if reasons else RunTrigger.MANUAL,
            params={
                "estimator": policy.estimator,
                "reasons": [r.as_dict() for r in reasons],
            },
            actor=actor,
            enqueue=enqueue,
        )
    except Conflict as exc:
        decision.skipped = exc.message
    return decision


def retrain_check(*, now: datetime | None = None, enqueue: bool = True) -> RetrainCheck:
    """The beat's check over every organization: queue one run per org and task whose policy
    has a reason to retrain. Two beats or workers never overlap (a cache lock), and a pair
    with a run already queued or running is skipped (a database constraint, too)."""
    now = now or timezone.now()
    with cache_lock(RETRAIN_LOCK_KEY, timeout=RETRAIN_LOCK_SECONDS) as acquired:
        if not acquired:
            logger.info("retrain check skipped: another one holds the lock")
            return RetrainCheck(locked=False)
        result = RetrainCheck(locked=True)
        for (organization_id, task), (policy, facts) in retrain_facts_all(now=now).items():
            reasons = should_retrain(policy=policy, facts=facts, now=now)
            if not reasons:
                continue
            if facts.busy:
                result.decisions.append(
                    RetrainDecision(organization_id, task, reasons, skipped="busy")
                )
                continue
            result.decisions.append(
                _queue_retrain(
                    organization_id=organization_id,
                    task=task,
                    policy=policy,
                    reasons=reasons,
                    enqueue=enqueue,
                )
            )
        return result


def retrain_check_organization(
    *,
    organization: Organization,
    tasks: list[str] | None = None,
    force: bool = False,
    actor=None,
    now: datetime | None = None,
    enqueue: bool = True,
) -> list[RetrainDecision]:
    """The check for one organization (the API's `check`): every reason per task, and a run
    queued where one holds and the policy is enabled; with `force`, also where the policy is
    disabled or no reason holds (a manual run)."""
    now = now or timezone.now()
    decisions = []
    for task in tasks or list(CLASSIFIER_TASKS):
        if task not in CLASSIFIER_TASKS:
            raise InvalidInput(
                f"The retrain check covers classification tasks, not {task!r}.",
                fields={"task": list(CLASSIFIER_TASKS)},
            )
        policy = retrain_policy_get(organization=organization, task=task)
        facts = retrain_facts(organization=organization, task=task, policy=policy, now=now)
        reasons = should_retrain(policy=policy, facts=facts, now=now)
        if force or (reasons and policy.enabled):
            decisions.append(
                _queue_retrain(
                    organization_id=organization.pk,
                    task=task,
                    policy=policy,
                    reasons=reasons,
                    enqueue=enqueue,
                    actor=actor,
                )
            )
        else:
            skipped = "" if not reasons else "policy disabled"
            decisions.append(RetrainDecision(organization.pk, task, reasons, skipped=skipped))
    return decisions
