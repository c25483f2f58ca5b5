"""Training runs: create, reproduce from a snapshot, execute (noise check, fit, evaluate,
register), and reap the runs whose worker died."""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from models_registry.choices import CLASSIFIER_TASKS, Task
from models_registry.models import ModelVersion
from models_registry.selectors import deployment_get_active, model_version_latest
from models_registry.services import model_version_deploy, model_version_register
from training import estimators
from training.choices import LabelNoiseAction, RunStatus, RunTrigger, ValidationStatus
from training.documents import document_rows
from training.evaluation import classification_metrics, drift_reference, evaluation_split
from training.models import TrainingExample, TrainingRun
from training.retrieval import ResolutionRetriever
from training.selectors import retrain_policy_get, training_run_get_busy
from training.services.candidates import candidate_act, candidate_compare
from training.services.examples import REVIEW_QUALITY
from training.services.label_noise import label_noise_detect_rows

logger = logging.getLogger(__name__)
MIN_EXAMPLES = 10
DEFAULT_HOLDOUT = 0.2
# What a run's result depends on besides its snapshot: equal values and an equal dataset
# hash mean an equal model (not the trigger's reasons, nor `force`).
TRAINING_PARAMS = ("estimator", "random_state", "holdout", "label_noise_action")


@transaction.atomic
def training_run_create(
    *,
    organization: Organization,
    task: str,
    trigger: str = RunTrigger.MANUAL,
    params: dict | None = None,
    actor=None,
    enqueue: bool = True,
    force: bool = False,
) -> TrainingRun:
    """Queue a run; one queued or running run per org and task at a time. With
    `enqueue=False` the caller executes it (training_run_execute) in its own process. A run
    whose snapshot and parameters equal the active (or latest) version's registers nothing,
    unless `force`."""
    from training.tasks import training_run_execute_task

    if task not in Task.values:
        raise InvalidInput(f"Unknown task {task!r}.", fields={"task": Task.values})
    if trigger not in RunTrigger.values:
        raise InvalidInput(f"Unknown trigger {trigger!r}.", fields={"trigger": RunTrigger.values})
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    busy = training_run_get_busy(organization=organization, task=task)
    if busy is not None:
        raise Conflict(f"Training run {busy.pk} for {task} is already {busy.status}.")
    defaults = {"estimator": "fast", "random_state": 0, "holdout": DEFAULT_HOLDOUT}
    if task in CLASSIFIER_TASKS:
        policy = retrain_policy_get(organization=organization, task=task)
        defaults["label_noise_action"] = policy.label_noise_action
    params = {**defaults, **(params or {})}
    if force:
        params["force"] = True
    _check_params(params)
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


def _check_params(params: dict) -> None:
    if params["estimator"] not in estimators.PROFILES:
        raise InvalidInput("Unknown estimator.", fields={"estimator": list(estimators.PROFILES)})
    missing = estimators.profile_unavailable(params["estimator"])
    if missing:
        raise InvalidInput(missing, fields={"estimator": [missing]})
    holdout = params["holdout"]
    if not isinstance(holdout, int | float) or not 0 <= holdout <= 0.5:
        raise InvalidInput("The holdout share must be within 0..0.5.", fields={"holdout": [0.5]})
    action = params.get("label_noise_action", LabelNoiseAction.EXCLUDE)
    if action not in LabelNoiseAction.values:
        raise InvalidInput(
            f"Unknown label-noise action {action!r}.",
            fields={"label_noise_action": LabelNoiseAction.values},
        )


@transaction.atomic
def training_run_reproduce(*, run: TrainingRun, actor=None, enqueue: bool = True) -> TrainingRun:
    """Queue a run on the same snapshot (example ids and hash) with the same parameters; it
    trains even when that equals a served version (that is the point)."""
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
        force=True,
    )


def _dataset_hash(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(str(part) for part in row).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    ids: list[int]
    texts: list[str]
    labels: list[str]
    dataset_hash: str
    content_hashes: list[str] | None = None  # classifier examples: the evaluation split's key
    reviewed: list[bool] | None = None  # classifier examples: a reviewer decided the label


def _classifier_snapshot(run: TrainingRun) -> Snapshot:
    """The approved examples now, or, when the run reproduces a snapshot, exactly those
    examples, which must hash as they did. A reviewer's decision is part of the data (it
    decides whether noise detection may leave an example out), so it enters the hash."""
    examples = TrainingExample.objects.filter(organization_id=run.organization_id, task=run.task)
    snapshot_ids = run.params.get("example_ids")
    if snapshot_ids is None:
        examples = examples.filter(validation_status=ValidationStatus.APPROVED)
    else:
        examples = examples.filter(pk__in=snapshot_ids)
    rows = list(
        examples.order_by("pk").values_list(
            "pk", "input_text", "expected_output", "content_hash", "quality_parts__review"
        )
    )
    reviewed = [review in REVIEW_QUALITY for *_, review in rows]
    dataset_hash = _dataset_hash(
        (pk, text, label, "reviewed") if was_reviewed else (pk, text, label)
        for (pk, text, label, *_), was_reviewed in zip(rows, reviewed, strict=True)
    )
    if snapshot_ids is not None:
        expected = run.params.get("dataset_hash")
        if len(rows) != len(set(snapshot_ids)) or (expected and dataset_hash != expected):
            raise Conflict(
                "The snapshot cannot be reproduced: its examples were deleted or changed."
            )
    if len(rows) < MIN_EXAMPLES or len({r[2] for r in rows}) < 2:
        raise InvalidInput(
            f"Training {run.task} needs at least {MIN_EXAMPLES} approved examples of at least "
            f"2 labels; found {len(rows)}."
        )
    return Snapshot(
        ids=[r[0] for r in rows],
        texts=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        dataset_hash=dataset_hash,
        content_hashes=[r[3] for r in rows],
        reviewed=reviewed,
    )


def _document_snapshot(run: TrainingRun) -> Snapshot:
    rows = document_rows(organization_id=run.organization_id, task=run.task)
    if len(rows) < MIN_EXAMPLES:
        raise InvalidInput(
            f"Reply suggestion needs at least {MIN_EXAMPLES} resolved tickets with a "
            f"resolution; found {len(rows)}."
        )
    return Snapshot(
        ids=[r[0] for r in rows],
        texts=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        dataset_hash=_dataset_hash(rows),
    )


def _same_version(run: TrainingRun) -> tuple[ModelVersion, TrainingRun] | None:
    """The active or latest version whose training run had this snapshot and parameters."""
    active = deployment_get_active(organization=run.organization, task=run.task)
    latest = model_version_latest(organization=run.organization, task=run.task)
    wanted = [p for p in (active.model_version if active else None, latest) if p is not None]
    params = [run.params.get(name) for name in TRAINING_PARAMS]
    for prior in TrainingRun.objects.filter(
        model_version__in=wanted, dataset_hash=run.dataset_hash
    ).select_related("model_version"):
        if [prior.params.get(name) for name in TRAINING_PARAMS] == params:
            return prior.model_version, prior
    return None


def _progress(run: TrainingRun, value: float, **fields) -> None:
    run.progress = value
    TrainingRun.objects.filter(pk=run.pk).update(progress=value, **fields)


def _label_noise(run: TrainingRun, snapshot: Snapshot) -> dict:
    """Confident learning on the snapshot (the same detection as the nightly check, which
    stores its evidence on the examples too). A label a reviewer decided is never left out
    on a model's suspicion."""
    summary = label_noise_detect_rows(
        rows=list(zip(snapshot.ids, snapshot.texts, snapshot.labels, strict=True)),
        random_state=run.params["random_state"],
    )
    reviewed = {pk for pk, was in zip(snapshot.ids, snapshot.reviewed, strict=True) if was}
    return {
        "action": run.params.get("label_noise_action", LabelNoiseAction.EXCLUDE),
        "checked": summary.examples,
        "evaluated": summary.evaluated,
        "flagged": summary.flagged,
        "flagged_ids": list(summary.flagged_ids),
        "reviewed_kept_ids": [pk for pk in summary.flagged_ids if pk in reviewed],
        "seconds": summary.seconds,
    }


def _train_classifier(run: TrainingRun, snapshot: Snapshot) -> dict:
    ids, texts, labels = snapshot.ids, snapshot.texts, snapshot.labels
    noise = _label_noise(run, snapshot)
    exclude = set()
    if noise["action"] == LabelNoiseAction.EXCLUDE:
        leave_out = set(noise["flagged_ids"]) - set(noise["reviewed_kept_ids"])
        exclude = {i for i, pk in enumerate(ids) if pk in leave_out}
    split = evaluation_split(
        snapshot.content_hashes, labels, share=run.params["holdout"], exclude=exclude
    )
    run.fit_example_ids = [ids[i] for i in split.fit]
    run.label_noise = {
        **noise,
        "excluded": len(split.excluded),
        "excluded_ids": [ids[i] for i in split.excluded],
    }
    _progress(run, 0.3, fit_example_ids=run.fit_example_ids, label_noise=run.label_noise)
    profile, seed = run.params["estimator"], run.params["random_state"]
    model = estimators.build_estimator(profile, random_state=seed)
    model.fit([texts[i] for i in split.fit], [labels[i] for i in split.fit])
    _progress(run, 0.7)
    label_set = sorted(set(labels))
    held_out = split.evaluation
    holdout_texts = [texts[i] for i in held_out]
    holdout_labels = [labels[i] for i in held_out]
    metrics = {}
    if held_out:
        predicted = list(model.predict(holdout_texts))
        metrics = classification_metrics(holdout_labels, predicted, labels=label_set)
        probabilities = model.predict_proba(holdout_texts)
        metrics["ece"] = round(
            float(
                estimators.expected_calibration_error(holdout_labels, probabilities, model.classes_)
            ),
            6,
        )
        metrics["drift_reference"] = drift_reference(
            [labels[i] for i in split.fit],
            probabilities.max(axis=1),
            [p == t for p, t in zip(predicted, holdout_labels, strict=True)],
        )
    active = deployment_get_active(organization=run.organization, task=run.task)
    run.comparison = candidate_compare(
        run=run,
        active=active.model_version if active else None,
        candidate=model,
        ids=[ids[i] for i in held_out],
        texts=holdout_texts,
        labels=holdout_labels,
        label_set=label_set,
    )
    _progress(run, 0.9)
    return {
        "model": model,
        "labels": label_set,
        "metrics": metrics,
        "estimator": profile,
        "params": estimators.estimator_description(model),
    }


def _train_retriever(run: TrainingRun, snapshot: Snapshot) -> dict:
    run.fit_example_ids = snapshot.ids
    model = ResolutionRetriever().fit(snapshot.texts, snapshot.labels, snapshot.ids)
    return {
        "model": model,
        "labels": [],
        "metrics": {"documents": len(snapshot.ids)},
        "estimator": "tfidf-retrieval",
        "params": {"ngram_range": [1, 2]},
    }


class _Reaped(Exception):
    """The run is no longer `running` when it comes to finish: the reaper failed it."""


FINISH_FIELDS = (
    "status",
    "progress",
    "duration_s",
    "finished_at",
    "model_version",
    "metrics",
    "comparison",
    "unchanged",
    "fit_example_ids",
    "label_noise",
)


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Snapshot; unless forced, stop there when a served version had the same snapshot and
    parameters; else check label noise, fit on the examples outside the evaluation split,
    evaluate on it, register the version (deploy it if none is) and compare it with the
    active one. Only a run still `running` finishes: one reaped meanwhile registers nothing."""
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=0.05
    )
    run = TrainingRun.objects.select_related("organization").get(pk=run_id)
    if not claimed:
        return run
    started = time.perf_counter()
    classifier = run.task in CLASSIFIER_TASKS
    try:
        snapshot = (_classifier_snapshot if classifier else _document_snapshot)(run)
        run.example_ids, run.dataset_hash = snapshot.ids, snapshot.dataset_hash
        _progress(run, 0.1, example_ids=run.example_ids, dataset_hash=run.dataset_hash)
        same = None if run.params.get("force") else _same_version(run)
        trained = None
        if same is None:
            trained = (_train_classifier if classifier else _train_retriever)(run, snapshot)
        with transaction.atomic():
            if same is not None:
                version, prior = same
                run.unchanged = True
                run.comparison = {
                    "same_as_version": version.version,
                    "same_as_run": prior.pk,
                    "reason": (
                        f"The snapshot and parameters equal those of {version.version} "
                        f"(training run {prior.pk}): nothing was fit or registered. "
                        "Pass force to train anyway."
                    ),
                }
            else:
                _register(run, trained)
            run.status, run.progress = RunStatus.SUCCEEDED, 1.0
            run.duration_s = round(time.perf_counter() - started, 3)
            run.finished_at = timezone.now()
            # Last, so the row is locked (and SQLite's write lock taken) only at the end; a
            # run reaped meanwhile rolls its registration back.
            if not TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                **{name: getattr(run, name) for name in FINISH_FIELDS}
            ):
                raise _Reaped
    except _Reaped:
        logger.warning("Training run %s was reaped before it finished", run.pk)
        run.refresh_from_db()
    except Exception as exc:  # noqa: BLE001 - a failed run records why, whatever it was
        logger.exception("Training run %s failed", run.pk)
        if isinstance(exc, SoftTimeLimitExceeded):
            error = (
                f"Stopped at the training time limit ({settings.AIOPS_TRAINING_SOFT_TIME_LIMIT}"
                " s, AIOPS_TRAINING_TIME_LIMIT): nothing was registered."
            )
        else:
            error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            example_ids=run.example_ids,
            dataset_hash=run.dataset_hash,
            error=error,
            duration_s=round(time.perf_counter() - started, 3),
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
    return run


def _register(run: TrainingRun, trained: dict) -> None:
    """Register the trained version (major bump on a new label set); deploy it when nothing
    serves the task, else let the policy act on it."""
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
            "candidate_action": candidate_act(
                run=run, candidate=version, active_version=active.model_version
            ),
        }
    run.model_version = version
    run.metrics = trained["metrics"]


def training_runs_reap(*, now: datetime | None = None) -> list[TrainingRun]:
    """Beat: fail the runs no worker will finish, so their org's task can train again.

    - running past the time limit plus a grace period: the worker died (killed, out of
      memory, machine lost) or the pool does not enforce limits; a late finish is refused;
    - queued while a run created after it already started a grace period ago: the training
      queue is first in, first out, so its message was lost (say, the broker was down when
      it was sent); or queued past AIOPS_TRAINING_QUEUE_TIMEOUT whatever the queue does.
    Nothing is registered: a run registers only in the transaction that marks it succeeded."""
    now = now or timezone.now()
    limit, grace = settings.AIOPS_TRAINING_TIME_LIMIT, settings.AIOPS_TRAINING_REAP_GRACE
    queue_timeout = settings.AIOPS_TRAINING_QUEUE_TIMEOUT
    reaped = []
    stuck = TrainingRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - timedelta(seconds=limit + grace)
    )
    for run in stuck:
        reaped += _reap(
            run,
            RunStatus.RUNNING,
            f"Reaped: still running {int((now - run.started_at).total_seconds())} s after it "
            f"started, past the {limit} s time limit and {grace} s grace; its worker stopped "
            "(killed, out of memory or lost). Nothing was registered.",
            now,
        )
    overtaken_before = now - timedelta(seconds=grace)
    for run in TrainingRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=overtaken_before):
        waited = int((now - run.created_at).total_seconds())
        if waited > queue_timeout:
            reason = (
                f"Reaped: queued {waited} s, past AIOPS_TRAINING_QUEUE_TIMEOUT ({queue_timeout} "
                "s): no training worker took it. Nothing was registered."
            )
        elif TrainingRun.objects.filter(
            created_at__gt=run.created_at, started_at__lt=overtaken_before
        ).exists():
            reason = (
                f"Reaped: queued {waited} s while runs queued after it started: its task "
                "message was lost. Nothing was registered."
            )
        else:
            continue
        reaped += _reap(run, RunStatus.QUEUED, reason, now)
    return reaped


def _reap(run: TrainingRun, status: str, reason: str, now: datetime) -> list[TrainingRun]:
    """Fail `run` if it is still in `status` (a run finishing meanwhile wins)."""
    duration = (now - run.started_at).total_seconds() if run.started_at else None
    if not TrainingRun.objects.filter(pk=run.pk, status=status).update(
        status=RunStatus.FAILED, error=reason, finished_at=now, duration_s=duration
    ):
        return []
    logger.warning("Training run %s reaped: %s", run.pk, reason)
    run.refresh_from_db()
    return [run]
