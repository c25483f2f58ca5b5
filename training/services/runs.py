"""Training runs: create, reproduce from a snapshot, execute (fit, evaluate, register)."""

import hashlib
import logging
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.choices import RESOLVED_STATUSES
from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization, Ticket
from models_registry.choices import CLASSIFIER_TASKS, Task
from models_registry.selectors import deployment_get_active, model_version_latest
from models_registry.services import model_version_deploy, model_version_register
from training import estimators
from training.choices import RunStatus, RunTrigger, ValidationStatus
from training.evaluation import classification_metrics, holdout_split
from training.models import TrainingExample, TrainingRun
from training.retrieval import ResolutionRetriever
from training.selectors import training_run_get_busy
from training.services.candidates import _act_on_candidate, _compare_with_active

logger = logging.getLogger(__name__)
MIN_EXAMPLES = 10


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
