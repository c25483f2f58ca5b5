"""Every write of the registry: versions, deployments, A/B tests, inference logs.

Every change of what serves an org's task locks the organization row first, so concurrent
deploys, rollbacks and A/B changes of one organization run one at a time, and records a
DeploymentEvent (who, when, why, from -> to)."""

import math
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from models_registry import semver, stats
from models_registry.artifacts import artifact_store
from models_registry.choices import (
    CLASSIFIER_TASKS,
    VERSION_TRANSITIONS,
    ABTestStatus,
    DeploymentAction,
    DeploymentStatus,
    DeploymentStrategy,
    Outcome,
    VersionKind,
    VersionStatus,
)
from models_registry.models import (
    ABTest,
    Deployment,
    DeploymentEvent,
    InferenceLog,
    ModelVersion,
    ShadowDeployment,
    ShadowPrediction,
)
from models_registry.selectors import (
    ab_test_arm_counts,
    ab_test_get_running,
    accuracy,
    deployment_get_active,
    model_version_latest,
    shadow_report,
)
from models_registry.serving import classify_text

DEFAULT_CANARY_PERCENTAGE = 10.0


def _lock(organization: Organization) -> None:
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


@transaction.atomic
def model_version_register(
    *,
    organization: Organization,
    task: str,
    model=None,
    version: str | None = None,
    bump: str = "minor",
    estimator: str = "",
    labels: list[str] | None = None,
    metrics: dict | None = None,
    params: dict | None = None,
    dataset_hash: str = "",
    actor=None,
    provider: str = "",
    external_model_id: str = "",
    input_price_per_1k: Decimal | float | str = 0,
    output_price_per_1k: Decimal | float | str = 0,
    tags: dict | None = None,
    notes: str = "",
) -> ModelVersion:
    """Register a trained model (stored as a verified artifact) under the next or given semver,
    or, with `provider` and `external_model_id`, an external model priced per 1K tokens."""
    # Lock the organization row so concurrent registrations number versions one at a time.
    _lock(organization)
    external = bool(provider or external_model_id)
    if external and not (provider and external_model_id):
        raise InvalidInput(
            "An external model needs both a provider and a model id.",
            fields={"provider": ["Required."], "external_model_id": ["Required."]},
        )
    if external and model is not None:
        raise InvalidInput("An external model has no artifact.")
    try:
        prices = [Decimal(str(p)) for p in (input_price_per_1k, output_price_per_1k)]
    except ArithmeticError as error:
        raise InvalidInput("Prices per 1K tokens must be numbers.") from error
    if any(p < 0 for p in prices):
        raise InvalidInput("Prices per 1K tokens cannot be negative.")
    if version is None:
        latest = model_version_latest(organization=organization, task=task)
        current = (latest.major, latest.minor, latest.patch) if latest else None
        major, minor, patch = semver.bump(current, part=bump)
    else:
        try:
            major, minor, patch = semver.parse(version)
        except ValueError as error:
            raise InvalidInput(str(error), fields={"version": [str(error)]}) from error
        if ModelVersion.objects.filter(
            organization=organization, task=task, major=major, minor=minor, patch=patch
        ).exists():
            raise Conflict(f"Version {semver.render((major, minor, patch))} of {task} exists.")
    path, sha256 = ("", "")
    if model is not None:
        path, sha256 = artifact_store(obj=model, organization_id=organization.pk, task=task)
    created = ModelVersion.objects.create(
        organization=organization,
        task=task,
        major=major,
        minor=minor,
        patch=patch,
        kind=VersionKind.EXTERNAL if external else VersionKind.TRAINED,
        provider=provider,
        external_model_id=external_model_id,
        input_price_per_1k=prices[0],
        output_price_per_1k=prices[1],
        tags=tags or {},
        notes=notes,
        estimator=estimator,
        artifact_path=path,
        artifact_sha256=sha256,
        labels=labels or [],
        metrics=metrics or {},
        params=params or {},
        dataset_hash=dataset_hash,
        created_by=actor,
    )
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.REGISTER,
        to_version=created,
        actor=actor,
        details={"kind": created.kind},
    )
    return created


def _event(
    *,
    organization: Organization,
    task: str,
    action: str,
    from_version: ModelVersion | None = None,
    to_version: ModelVersion | None = None,
    deployment: Deployment | None = None,
    ab_test: ABTest | None = None,
    actor=None,
    reason: str = "",
    details: dict | None = None,
) -> DeploymentEvent:
    return DeploymentEvent.objects.create(
        organization=organization,
        task=task,
        action=action,
        from_version=from_version,
        to_version=to_version,
        deployment=deployment,
        ab_test=ab_test,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        details=details or {},
    )


def _set_status(version: ModelVersion, status: str) -> None:
    """Move a version along its lifecycle (no-op if already there); Conflict if not allowed."""
    if version.status == status:
        return
    if status not in VERSION_TRANSITIONS[version.status]:
        raise Conflict(
            f"{version.task} {version.version} is {version.status}: it cannot become {status}."
        )
    ModelVersion.objects.filter(pk=version.pk).update(status=status)
    version.status = status


def _serving_version_ids(organization: Organization, task: str) -> set[int]:
    ids: set[int] = set()
    current = deployment_get_active(organization=organization, task=task)
    if current is not None:
        ids |= {current.model_version_id, current.candidate_version_id}
    running = ab_test_get_running(organization=organization, task=task)
    if running is not None:
        ids |= {running.version_a_id, running.version_b_id}
    return ids - {None}


def _replace_deployment(
    *,
    organization: Organization,
    task: str,
    strategy: str,
    model_version: ModelVersion,
    candidate: ModelVersion | None = None,
    percentage: float = 0,
    actor=None,
    reason: str = "",
    ended_as: str = DeploymentStatus.SUPERSEDED,
) -> tuple[Deployment | None, Deployment]:
    """End the active deployment (if any) and create its successor; caller holds the lock."""
    current = deployment_get_active(organization=organization, task=task)
    if current is not None:
        Deployment.objects.filter(pk=current.pk).update(status=ended_as, ended_at=timezone.now())
    new = Deployment.objects.create(
        organization=organization,
        task=task,
        strategy=strategy,
        model_version=model_version,
        candidate_version=candidate,
        candidate_percentage=percentage if candidate is not None else 0,
        previous=current,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason[:300],
    )
    return current, new


def _deprecate_old_versions(*, organization: Organization, task: str, actor=None) -> list[str]:
    """Deprecate versions older than the newest N (settings.MODEL_REGISTRY_KEEP_VERSIONS) that
    serve nothing; returns the versions deprecated."""
    keep = int(getattr(settings, "MODEL_REGISTRY_KEEP_VERSIONS", 5))
    serving = _serving_version_ids(organization, task)
    old = ModelVersion.objects.filter(organization=organization, task=task).order_by(
        "-major", "-minor", "-patch"
    )[keep:]
    deprecated = []
    for version in old:
        if version.pk in serving or version.status in (
            VersionStatus.DEPRECATED,
            VersionStatus.ARCHIVED,
        ):
            continue
        _set_status(version, VersionStatus.DEPRECATED)
        _event(
            organization=organization,
            task=task,
            action=DeploymentAction.AUTO_DEPRECATE,
            from_version=version,
            actor=actor,
            reason=f"Older than the newest {keep} versions.",
        )
        deprecated.append(version.version)
    return deprecated


def _check_deployable(version: ModelVersion) -> None:
    if version.status == VersionStatus.ARCHIVED:
        raise Conflict(f"{version.task} {version.version} is archived and cannot serve.")


@transaction.atomic
def model_version_deploy(
    *,
    model_version: ModelVersion,
    actor=None,
    reason: str = "",
    strategy: str = DeploymentStrategy.FULL,
    percentage: float | None = None,
    action: str = DeploymentAction.DEPLOY,
) -> Deployment:
    """Deploy a version of its org's task.

    full: it becomes the one serving version (the previous one is deprecated).
    gradual / canary: it becomes the candidate taking `percentage` % of the units (sticky)
    beside the current stable version; deploying it again with a larger share steps a gradual
    rollout up, and 100 % (or `model_version_promote`) finishes it."""
    organization, task = model_version.organization, model_version.task
    _lock(organization)
    model_version.refresh_from_db(fields=["status"])
    _check_deployable(model_version)
    if ab_test_get_running(organization=organization, task=task) is not None:
        raise Conflict(f"An A/B test is running for {task}: conclude or stop it before deploying.")
    current = deployment_get_active(organization=organization, task=task)
    if strategy not in DeploymentStrategy.values:
        raise InvalidInput(f"Unknown strategy {strategy!r}.", fields={"strategy": ["Unknown."]})
    if strategy != DeploymentStrategy.FULL:
        if percentage is None:
            percentage = DEFAULT_CANARY_PERCENTAGE
        if not 0 < percentage <= 100:
            raise InvalidInput(
                "The percentage must be above 0 and at most 100.",
                fields={"percentage": ["Must be within (0, 100]."]},
            )
        if percentage >= 100:
            strategy, action = DeploymentStrategy.FULL, DeploymentAction.PROMOTE
    if strategy == DeploymentStrategy.FULL:
        old = current.model_version if current else None
        if current is not None and current.candidate_version_id not in (None, model_version.pk):
            _set_status(current.candidate_version, VersionStatus.DEPRECATED)
        _set_status(model_version, VersionStatus.ACTIVE)
        _, deployment = _replace_deployment(
            organization=organization,
            task=task,
            strategy=DeploymentStrategy.FULL,
            model_version=model_version,
            actor=actor,
            reason=reason,
        )
        if old is not None and old.pk != model_version.pk:
            _set_status(old, VersionStatus.DEPRECATED)
        details = {"strategy": DeploymentStrategy.FULL}
    else:
        if current is None:
            raise Conflict(
                f"Nothing serves {task} yet: deploy a first version with strategy 'full' "
                f"before a {strategy} rollout."
            )
        if current.model_version_id == model_version.pk:
            raise InvalidInput(f"{model_version.version} is already the stable version.")
        old = current.candidate_version
        if old is not None and old.pk != model_version.pk:
            _set_status(old, VersionStatus.DEPRECATED)
        _set_status(model_version, VersionStatus.CANARY)
        _, deployment = _replace_deployment(
            organization=organization,
            task=task,
            strategy=strategy,
            model_version=current.model_version,
            candidate=model_version,
            percentage=float(percentage),
            actor=actor,
            reason=reason,
        )
        details = {
            "strategy": strategy,
            "percentage": float(percentage),
            "previous_percentage": current.candidate_percentage if old else 0,
            "stable_version": current.model_version.version,
        }
    _event(
        organization=organization,
        task=task,
        action=action,
        from_version=old,
        to_version=model_version,
        deployment=deployment,
        actor=actor,
        reason=reason,
        details=details,
    )
    _deprecate_old_versions(organization=organization, task=task, actor=actor)
    return deployment


@transaction.atomic
def model_version_promote(
    *,
    organization: Organization,
    task: str,
    version: ModelVersion | None = None,
    actor=None,
    reason: str = "",
) -> Deployment:
    """Finish a rollout: the candidate (or the given version) becomes the full deployment."""
    if version is None:
        _lock(organization)
        current = deployment_get_active(organization=organization, task=task)
        if current is None or current.candidate_version is None:
            raise Conflict(
                f"No canary or gradual rollout of {task} to promote: name a version instead."
            )
        version = current.candidate_version
    return model_version_deploy(
        model_version=version, actor=actor, reason=reason, action=DeploymentAction.PROMOTE
    )


@transaction.atomic
def deployment_rollback(
    *,
    organization: Organization,
    task: str,
    actor=None,
    reason: str = "",
    action: str = DeploymentAction.ROLLBACK,
) -> Deployment:
    """One call: drop a canary / gradual candidate, or else go back to the version that was
    active before the current one. 409 when there is nothing to go back to."""
    _lock(organization)
    current = deployment_get_active(organization=organization, task=task)
    if current is None:
        raise Conflict(f"Nothing is deployed for {task}: there is nothing to roll back.")
    if ab_test_get_running(organization=organization, task=task) is not None:
        raise Conflict(f"An A/B test is running for {task}: stop it instead of rolling back.")
    if current.candidate_version is not None:
        bad, target = current.candidate_version, current.model_version
    else:
        bad, target = current.model_version, None
        step = current.previous
        while step is not None and target is None:
            if step.model_version_id != bad.pk:
                target = step.model_version
            step = step.previous
        if target is None:
            raise Conflict(
                f"No previous version to roll back to: {task} has only ever been served by "
                f"{bad.version}."
            )
        _check_deployable(target)
    _set_status(bad, VersionStatus.DEPRECATED)
    _set_status(target, VersionStatus.ACTIVE)
    _, deployment = _replace_deployment(
        organization=organization,
        task=task,
        strategy=DeploymentStrategy.FULL,
        model_version=target,
        actor=actor,
        reason=reason or f"Rolled back from {bad.version}.",
        ended_as=DeploymentStatus.ROLLED_BACK,
    )
    _event(
        organization=organization,
        task=task,
        action=action,
        from_version=bad,
        to_version=target,
        deployment=deployment,
        actor=actor,
        reason=reason,
    )
    return deployment


@transaction.atomic
def model_version_set_status(
    *, version: ModelVersion, status: str, actor=None, reason: str = ""
) -> ModelVersion:
    """Move a version along its lifecycle by hand (staging, deprecated, archived, ...).
    Serving changes (active, canary) go through deploy / promote / rollback."""
    _lock(version.organization)
    version.refresh_from_db(fields=["status"])
    if status in (VersionStatus.ACTIVE, VersionStatus.CANARY):
        raise InvalidInput(f"Deploy a version to make it {status}.")
    if status not in VersionStatus.values:
        raise InvalidInput(f"Unknown status {status!r}.", fields={"status": ["Unknown."]})
    if version.pk in _serving_version_ids(version.organization, version.task):
        raise Conflict(
            f"{version.task} {version.version} is serving traffic: deploy, roll back or end "
            "its A/B test first."
        )
    old = version.status
    _set_status(version, status)
    _event(
        organization=version.organization,
        task=version.task,
        action=DeploymentAction.DEPRECATE
        if status == VersionStatus.DEPRECATED
        else DeploymentAction.STATUS,
        from_version=version,
        to_version=version,
        actor=actor,
        reason=reason,
        details={"from_status": old, "to_status": status},
    )
    return version


def model_version_deprecate(*, version: ModelVersion, actor=None, reason: str = "") -> ModelVersion:
    return model_version_set_status(
        version=version, status=VersionStatus.DEPRECATED, actor=actor, reason=reason
    )


@transaction.atomic
def ab_test_start(
    *,
    version_a: ModelVersion,
    version_b: ModelVersion,
    split_percentage: float = 50,
    minimum_detectable_effect: float = 0.05,
    actor=None,
    reason: str = "",
) -> ABTest:
    """Split an org's task between two of its versions; B takes `split_percentage` % (1..99)."""
    if version_a.organization_id != version_b.organization_id or version_a.task != version_b.task:
        raise InvalidInput(
            "Versions A and B must belong to the same organization and task.",
            fields={"version_b": ["Not the organization and task of version A."]},
        )
    if version_a.pk == version_b.pk:
        raise InvalidInput("Versions A and B must differ.", fields={"version_b": ["Same as A."]})
    if not 1 <= split_percentage <= 99:
        raise InvalidInput(
            "The split must be between 1 and 99 percent.",
            fields={"split_percentage": ["Must be within 1..99."]},
        )
    if not 0 < minimum_detectable_effect < 1:
        raise InvalidInput(
            "The minimum detectable effect must be within (0, 1).",
            fields={"minimum_detectable_effect": ["Must be within (0, 1)."]},
        )
    organization, task = version_a.organization, version_a.task
    _lock(organization)
    if ab_test_get_running(organization=organization, task=task) is not None:
        raise Conflict(f"An A/B test is already running for {task}: conclude or stop it first.")
    for version in (version_a, version_b):
        version.refresh_from_db(fields=["status"])
        _check_deployable(version)
    if version_b.status in (VersionStatus.REGISTERED, VersionStatus.STAGING):
        _set_status(version_b, VersionStatus.CANARY)
    measured = accuracy(logs=InferenceLog.objects.filter(model_version=version_a)).accuracy
    baseline = measured if measured is not None else version_a.metrics.get("accuracy", 0.5)
    baseline = min(max(float(baseline), 0.0), 1.0)
    needed = math.ceil(
        stats.sample_size_per_arm(
            baseline_rate=baseline, minimum_detectable_effect=minimum_detectable_effect
        )
        - 1e-9
    )
    try:
        with transaction.atomic():
            ab_test = ABTest.objects.create(
                organization=organization,
                task=task,
                version_a=version_a,
                version_b=version_b,
                split_percentage=float(split_percentage),
                salt=f"ab-{uuid.uuid4().hex}",
                minimum_detectable_effect=minimum_detectable_effect,
                baseline_rate=baseline,
                minimum_sample_size=needed,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as error:  # pragma: no cover - the lock makes this unreachable
        raise Conflict(f"An A/B test is already running for {task}.") from error
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.AB_TEST_START,
        from_version=version_a,
        to_version=version_b,
        ab_test=ab_test,
        actor=actor,
        reason=reason,
        details={"split_percentage": float(split_percentage), "minimum_sample_size": needed},
    )
    return ab_test


def ab_test_results(*, ab_test: ABTest) -> dict:
    """Per-arm n and accuracy (the `accuracy` selector over the arm's inference logs) and the
    statistics of `stats.ab_verdict` on them."""
    arms = ab_test_arm_counts(ab_test=ab_test)
    a, b = (
        stats.Counts(arms[arm]["accuracy"].correct, arms[arm]["accuracy"].judged)
        for arm in ("A", "B")
    )
    verdict = stats.ab_verdict(
        a=a,
        b=b,
        split_b_percentage=ab_test.split_percentage,
        minimum_detectable_effect=ab_test.minimum_detectable_effect,
        baseline_rate=ab_test.baseline_rate,
    )
    return {
        "ab_test_id": ab_test.pk,
        "task": ab_test.task,
        "status": ab_test.status,
        "version_a": ab_test.version_a.version,
        "version_b": ab_test.version_b.version,
        "split_percentage": ab_test.split_percentage,
        "inferences": {arm: arms[arm]["inferences"] for arm in ("A", "B")},
        **verdict.as_dict(),
    }


def _ab_test_end(
    *, ab_test: ABTest, status: str, winner: ModelVersion | None, results: dict
) -> None:
    ab_test.status, ab_test.winner, ab_test.ended_at = status, winner, timezone.now()
    ab_test.verdict, ab_test.result = results["verdict"], results
    ab_test.save(update_fields=["status", "winner", "ended_at", "verdict", "result"])


@transaction.atomic
def ab_test_conclude(
    *, ab_test: ABTest, actor=None, reason: str = "", winner: str | None = None
) -> ABTest:
    """End a running test and deploy its winner through the deployment service. The winner is
    the statistics' verdict; an admin may name one ("A" / "B") when it is inconclusive."""
    _lock(ab_test.organization)
    ab_test.refresh_from_db()
    if ab_test.status != ABTestStatus.RUNNING:
        raise Conflict(f"A/B test {ab_test.pk} is {ab_test.status}, not running.")
    results = ab_test_results(ab_test=ab_test)
    decided = {"A wins": "A", "B wins": "B"}.get(results["verdict"])
    if winner is not None and winner not in ("A", "B"):
        raise InvalidInput("The winner must be 'A' or 'B'.", fields={"winner": ["A or B."]})
    arm = winner or decided
    if arm is None:
        raise Conflict(
            f"No winner yet ({results['verdict']}: {results['reason']}). Name the winner "
            "('A' or 'B') to decide anyway, or stop the test."
        )
    chosen = ab_test.version_b if arm == "B" else ab_test.version_a
    loser = ab_test.version_a if arm == "B" else ab_test.version_b
    _ab_test_end(ab_test=ab_test, status=ABTestStatus.CONCLUDED, winner=chosen, results=results)
    why = reason or f"A/B test {ab_test.pk}: {results['verdict']} ({results['reason']})."
    _event(
        organization=ab_test.organization,
        task=ab_test.task,
        action=DeploymentAction.AB_TEST_CONCLUDE,
        from_version=loser,
        to_version=chosen,
        ab_test=ab_test,
        actor=actor,
        reason=why,
        details={"verdict": results["verdict"], "winner_arm": arm, "overridden": winner},
    )
    current = deployment_get_active(organization=ab_test.organization, task=ab_test.task)
    if current is None or current.model_version_id != chosen.pk or current.candidate_version_id:
        model_version_promote(
            organization=ab_test.organization,
            task=ab_test.task,
            version=chosen,
            actor=actor,
            reason=why,
        )
    loser.refresh_from_db(fields=["status"])
    if loser.status != VersionStatus.DEPRECATED:
        _set_status(loser, VersionStatus.DEPRECATED)
    return ab_test


@transaction.atomic
def ab_test_stop(
    *, ab_test: ABTest, actor=None, reason: str = "", action: str = DeploymentAction.AB_TEST_STOP
) -> ABTest:
    """End a running test without promoting anything; arm B goes back out of service."""
    _lock(ab_test.organization)
    ab_test.refresh_from_db()
    if ab_test.status != ABTestStatus.RUNNING:
        raise Conflict(f"A/B test {ab_test.pk} is {ab_test.status}, not running.")
    results = ab_test_results(ab_test=ab_test)
    _ab_test_end(ab_test=ab_test, status=ABTestStatus.STOPPED, winner=None, results=results)
    current = deployment_get_active(organization=ab_test.organization, task=ab_test.task)
    serving = {current.model_version_id, current.candidate_version_id} if current else set()
    version_b = ab_test.version_b
    if version_b.pk not in serving and version_b.status == VersionStatus.CANARY:
        _set_status(version_b, VersionStatus.DEPRECATED)
    _event(
        organization=ab_test.organization,
        task=ab_test.task,
        action=action,
        from_version=version_b,
        to_version=ab_test.version_a,
        ab_test=ab_test,
        actor=actor,
        reason=reason,
        details={"verdict": results["verdict"]},
    )
    return ab_test


def inference_log_record(
    *,
    organization: Organization,
    model_version: ModelVersion,
    latency_ms: float,
    predicted_label: str = "",
    confidence: float | None = None,
    unit_id: str = "",
    arm: str = "",
    ab_test: ABTest | None = None,
    shadow: ShadowDeployment | None = None,
    shadow_text: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    success: bool = True,
    error: str = "",
) -> InferenceLog:
    cost = (
        Decimal(tokens_in) * model_version.input_price_per_1k
        + Decimal(tokens_out) * model_version.output_price_per_1k
    ) / 1000
    log = InferenceLog.objects.create(
        organization=organization,
        task=model_version.task,
        model_version=model_version,
        latency_ms=latency_ms,
        predicted_label=predicted_label[:200],
        confidence=confidence,
        unit_id=unit_id,
        ab_test=ab_test,
        arm=arm,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost,
        success=success,
        error=error,
    )
    if shadow is not None and shadow_text:
        # After the commit, off the request: the shadow's answer is never returned.
        transaction.on_commit(lambda: _shadow_enqueue(shadow.pk, log.pk, shadow_text))
    return log


def inference_log_record_outcome(
    *, inference_log_id: int, correct: bool | None, true_label: str = ""
) -> None:
    """Record what feedback revealed about a prediction (None: unknown again)."""
    if correct is None:
        outcome, outcome_at = Outcome.UNKNOWN, None
    else:
        outcome, outcome_at = (Outcome.CORRECT if correct else Outcome.INCORRECT), timezone.now()
    InferenceLog.objects.filter(pk=inference_log_id).update(
        outcome=outcome, true_label=true_label[:200], outcome_at=outcome_at
    )


def inference_log_report(
    *,
    organization: Organization,
    model_version: ModelVersion,
    latency_ms: float,
    success: bool | None = None,
    error: str = "",
    **fields,
) -> InferenceLog:
    """Record an inference made outside this service (the seed's logInference), e.g. by an
    external provider's model; without an explicit `success`, an error means it failed."""
    return inference_log_record(
        organization=organization,
        model_version=model_version,
        latency_ms=latency_ms,
        success=(not error) if success is None else success,
        error=error,
        **fields,
    )


def _guardrail_reason(*, control, candidate, control_name: str, candidate_name: str) -> str:
    """Why the candidate is significantly worse than the control (accuracy or error rate), by
    the always-valid interval of the difference (safe to check on every beat), or ""."""
    minimum = int(getattr(settings, "MODEL_REGISTRY_GUARDRAIL_MIN_SAMPLES", 30))
    for metric, counts in (
        ("accuracy", lambda logs: accuracy(logs=logs)),
        ("success rate", None),
    ):
        if counts is not None:
            a, b = counts(control), counts(candidate)
            arms = stats.Counts(a.correct, a.judged), stats.Counts(b.correct, b.judged)
        else:
            arms = tuple(
                stats.Counts(logs.filter(success=True).count(), logs.count())
                for logs in (control, candidate)
            )
        if min(arm.trials for arm in arms) < minimum:
            continue
        interval = stats.sequential_interval(a=arms[0], b=arms[1])
        if interval is not None and interval[1] < 0:
            shown = "error rate" if metric == "success rate" else metric
            values = [1 - arm.rate if shown == "error rate" else arm.rate for arm in arms]
            return (
                f"Guardrail: {shown} of {candidate_name} is {values[1]:.1%} against "
                f"{values[0]:.1%} for {control_name} ({arms[1].trials} / {arms[0].trials} "
                f"outcomes); the always-valid 95% interval of the {metric} difference "
                f"[{interval[0]:+.2%}, {interval[1]:+.2%}] lies below 0."
            )
    return ""


def guardrails_check(*, organization: Organization | None = None) -> list[str]:
    """Roll back every canary / gradual candidate, and stop every A/B test, whose candidate
    (arm B) is significantly worse than its control; returns the reasons acted on."""
    acted = []
    deployments = Deployment.objects.filter(
        status=DeploymentStatus.ACTIVE, candidate_version__isnull=False
    ).select_related("organization", "model_version", "candidate_version")
    tests = ABTest.objects.filter(status=ABTestStatus.RUNNING).select_related(
        "organization", "version_a", "version_b"
    )
    if organization is not None:
        deployments = deployments.filter(organization=organization)
        tests = tests.filter(organization=organization)
    for deployment in deployments:
        candidate, stable = deployment.candidate_version, deployment.model_version
        since = (
            Deployment.objects.filter(
                organization=deployment.organization_id,
                task=deployment.task,
                candidate_version=candidate,
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        logs = InferenceLog.objects.filter(created_at__gte=since, ab_test__isnull=True)
        reason = _guardrail_reason(
            control=logs.filter(model_version=stable),
            candidate=logs.filter(model_version=candidate),
            control_name=stable.version,
            candidate_name=candidate.version,
        )
        if reason:
            try:
                deployment_rollback(
                    organization=deployment.organization,
                    task=deployment.task,
                    reason=reason,
                    action=DeploymentAction.GUARDRAIL,
                )
            except Conflict:  # changed meanwhile (e.g. an A/B test started): next beat
                continue
            acted.append(reason)
    for ab_test in tests:
        logs = InferenceLog.objects.filter(ab_test=ab_test)
        reason = _guardrail_reason(
            control=logs.filter(arm="A"),
            candidate=logs.filter(arm="B"),
            control_name=f"arm A ({ab_test.version_a.version})",
            candidate_name=f"arm B ({ab_test.version_b.version})",
        )
        if reason:
            try:
                ab_test_stop(ab_test=ab_test, reason=reason, action=DeploymentAction.GUARDRAIL)
            except Conflict:
                continue
            acted.append(reason)
    return acted


@transaction.atomic
def shadow_start(
    *, model_version: ModelVersion, percentage: float = 100.0, actor=None, reason: str = ""
) -> ShadowDeployment:
    """Let a trained classifier predict in the shadow of live traffic (a sticky share of the
    units, its answers never returned) to judge it before any user sees it."""
    if model_version.task not in CLASSIFIER_TASKS:
        raise InvalidInput("Shadow deployments compare labels: classification tasks only.")
    if not model_version.artifact_sha256:
        raise InvalidInput(f"{model_version.version} has no artifact to predict with here.")
    if not 0 < percentage <= 100:
        raise InvalidInput(
            "The percentage must be above 0 and at most 100.",
            fields={"percentage": ["Must be within (0, 100]."]},
        )
    organization, task = model_version.organization, model_version.task
    _lock(organization)
    model_version.refresh_from_db(fields=["status"])
    _check_deployable(model_version)
    if ShadowDeployment.objects.filter(organization=organization, task=task, active=True).exists():
        raise Conflict(f"A shadow deployment of {task} is active: end it first.")
    shadow = ShadowDeployment.objects.create(
        organization=organization,
        task=task,
        model_version=model_version,
        percentage=float(percentage),
        salt=f"shadow-{uuid.uuid4().hex}",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.SHADOW_START,
        to_version=model_version,
        actor=actor,
        reason=reason,
        details={"shadow_id": shadow.pk, "percentage": float(percentage)},
    )
    return shadow


@transaction.atomic
def shadow_end(*, organization: Organization, task: str, actor=None, reason: str = ""):
    """End the active shadow deployment of a task, keeping its report in the audit record."""
    _lock(organization)
    shadow = ShadowDeployment.objects.filter(
        organization=organization, task=task, active=True
    ).first()
    if shadow is None:
        raise Conflict(f"No shadow deployment of {task} is active.")
    shadow.active, shadow.ended_at = False, timezone.now()
    shadow.save(update_fields=["active", "ended_at"])
    report = shadow_report(shadow=shadow)
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.SHADOW_END,
        from_version=shadow.model_version,
        actor=actor,
        reason=reason,
        details={k: report[k] for k in ("predictions", "agreement", "shadow_accuracy")},
    )
    return shadow


def shadow_predict(*, shadow_id: int, inference_log_id: int, text: str) -> ShadowPrediction | None:
    """Predict with the shadow version for one live prediction (run by a worker, after the
    live answer was returned) and keep it beside that prediction's inference log."""
    shadow = (
        ShadowDeployment.objects.select_related("model_version")
        .filter(pk=shadow_id, active=True)
        .first()
    )
    if shadow is None:
        return None
    started = time.perf_counter()
    label, confidence = classify_text(version=shadow.model_version, text=text)
    prediction, _ = ShadowPrediction.objects.get_or_create(
        inference_log_id=inference_log_id,
        defaults={
            "shadow": shadow,
            "predicted_label": label[:200],
            "confidence": confidence,
            "latency_ms": (time.perf_counter() - started) * 1000,
        },
    )
    return prediction


def _shadow_enqueue(shadow_id: int, inference_log_id: int, text: str) -> None:
    from models_registry.tasks import shadow_predict_task

    shadow_predict_task.delay(shadow_id, inference_log_id, text)
