"""Every write of the training app: examples, imports and training runs."""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from aiops.choices import RESOLVED_STATUSES
from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization, Ticket
from models_registry.choices import CLASSIFIER_TASKS, Task
from models_registry.selectors import deployment_get_active, model_version_latest
from models_registry.services import model_version_deploy, model_version_register
from models_registry.serving import model_load
from training import estimators
from training.choices import ExampleSource, RunStatus, RunTrigger, ValidationStatus
from training.evaluation import classification_metrics, holdout_split
from training.importers import ParsedRow
from training.models import TrainingExample, TrainingRun
from training.quality import score_example
from training.retrieval import ResolutionRetriever

logger = logging.getLogger(__name__)
BATCH = 1000
MIN_EXAMPLES = 10


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
            quality = score_example(source=source, text=row.text)
            example = existing.get(digest) or TrainingExample(
                organization=organization, task=task, content_hash=digest
            )
            example.input_text = row.text
            example.expected_output = row.label
            example.source = source
            example.quality_score = quality.total
            example.quality_parts = quality.parts
            example.validation_status = status
            example.reviewer = actor if approve else None
            example.reviewed_at = now if approve else None
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
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    busy = TrainingRun.objects.filter(
        organization=organization, task=task, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).first()
    if busy is not None:
        raise Conflict(f"Training run {busy.pk} for {task} is already {busy.status}.")
    params = {"estimator": "fast", "random_state": 0, "holdout": 0.2, **(params or {})}
    if params["estimator"] not in estimators.PROFILES:
        raise InvalidInput("Unknown estimator.", fields={"estimator": list(estimators.PROFILES)})
    run = TrainingRun.objects.create(
        organization=organization, task=task, trigger=trigger, params=params, requested_by=actor
    )
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
    rows = list(
        TrainingExample.objects.filter(
            organization_id=run.organization_id,
            task=run.task,
            validation_status=ValidationStatus.APPROVED,
        )
        .order_by("pk")
        .values_list("pk", "input_text", "expected_output")
    )
    if len(rows) < MIN_EXAMPLES or len({r[2] for r in rows}) < 2:
        raise InvalidInput(
            f"Training {run.task} needs at least {MIN_EXAMPLES} approved examples of at least "
            f"2 labels; found {len(rows)}."
        )
    return rows


def _progress(run: TrainingRun, value: float) -> None:
    run.progress = value
    TrainingRun.objects.filter(pk=run.pk).update(progress=value)


def _train_classifier(run: TrainingRun) -> dict:
    rows = _classifier_snapshot(run)
    ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    labels = [r[2] for r in rows]
    run.example_ids, run.dataset_hash = ids, _dataset_hash(rows)
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
    run.comparison = _compare_with_active(run, holdout_texts, holdout_labels, metrics, label_set)
    _progress(run, 0.7)
    model = estimators.build_estimator(profile, random_state=seed).fit(texts, labels)
    return {
        "model": model,
        "labels": label_set,
        "metrics": metrics,
        "estimator": profile,
        "params": estimators.estimator_description(model),
    }


def _compare_with_active(run, texts, labels, metrics, label_set) -> dict:
    deployment = deployment_get_active(organization=run.organization, task=run.task)
    if deployment is None or not texts:
        return {}
    active = deployment.model_version
    predicted = list(model_load(version=active).predict(texts))
    active_metrics = classification_metrics(labels, predicted, labels=label_set)
    return {
        "active_version": active.version,
        "active_accuracy": active_metrics["accuracy"],
        "active_f1_macro": active_metrics["f1_macro"],
        "candidate_accuracy": metrics.get("accuracy"),
        "candidate_f1_macro": metrics.get("f1_macro"),
        "accuracy_delta": round(metrics.get("accuracy", 0) - active_metrics["accuracy"], 6),
        "holdout_size": len(texts),
    }


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
            if deployment_get_active(organization=run.organization, task=run.task) is None:
                model_version_deploy(
                    model_version=version,
                    actor=run.requested_by,
                    reason=f"First version, from training run {run.pk}",
                )
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
            error=getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}",
            duration_s=round(time.perf_counter() - started, 3),
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
    return run


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
) -> TrainingExample:
    """Create or update the example for this text (one row per normalised text, org and task).
    Row-locked, so concurrent feedback on the same text never duplicates or loses a write."""
    digest = content_hash(text)
    quality = score_example(source=source, text=text)
    defaults = {
        "input_text": text,
        "expected_output": label,
        "source": source,
        "quality_score": quality.total,
        "quality_parts": quality.parts,
        "operation_type": operation_type,
        "operation_id": operation_id,
    }
    if approve:
        defaults["validation_status"] = ValidationStatus.APPROVED
    example, _ = TrainingExample.objects.select_for_update().update_or_create(
        organization=organization, task=task, content_hash=digest, defaults=defaults
    )
    return example
