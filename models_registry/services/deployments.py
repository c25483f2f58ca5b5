"""Deployments: deploy (full or canary), promote a canary, roll back."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from models_registry.choices import (
    DeploymentAction,
    DeploymentStatus,
    DeploymentStrategy,
    VersionStatus,
)
from models_registry.models import Deployment, ModelVersion
from models_registry.selectors import ab_test_get_running, deployment_get_active
from models_registry.services.versions import (
    _check_deployable,
    _event,
    _lock,
    _serving_version_ids,
    _set_status,
)

logger = logging.getLogger(__name__)

DEFAULT_CANARY_PERCENTAGE = 10.0


def _replace_deployment(
    *,
    organization: Organization,
    task: str,
    strategy: str,
    model_version: ModelVersion,
    candidate: ModelVersion | None = None,
    percentage: float = 0,
    steps: list[float] | None = None,
    step_minutes: int | None = None,
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
        rollout_steps=steps or [],
        rollout_step_minutes=step_minutes if steps else None,
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


@transaction.atomic
def model_version_deploy(
    *,
    model_version: ModelVersion,
    actor=None,
    reason: str = "",
    strategy: str = DeploymentStrategy.FULL,
    percentage: float | None = None,
    steps: list[float] | None = None,
    step_minutes: int | None = None,
    action: str = DeploymentAction.DEPLOY,
) -> Deployment:
    """Deploy a version of its org's task.

    full: it becomes the one serving version (the previous one is deprecated).
    gradual / canary: it becomes the candidate taking `percentage` % of the units (sticky)
    beside the current stable version; deploying it again with a larger share steps a gradual
    rollout up, and 100 % (or `model_version_promote`) finishes it. A gradual rollout may
    carry a schedule: beat takes the next of `steps` every `step_minutes` (rollout_advance)."""
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
    _check_schedule(strategy=strategy, percentage=percentage, steps=steps, minutes=step_minutes)
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
            steps=[float(step) for step in steps or []],
            step_minutes=step_minutes,
            actor=actor,
            reason=reason,
        )
        details = {
            "strategy": strategy,
            "percentage": float(percentage),
            "steps": deployment.rollout_steps,
            "step_minutes": deployment.rollout_step_minutes,
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


def _check_schedule(*, strategy: str, percentage, steps, minutes) -> None:
    if not steps and minutes is None:
        return
    message = ""
    if strategy != DeploymentStrategy.GRADUAL:
        message = "A rollout schedule (steps, stepMinutes) is only for a gradual rollout."
    elif not steps or minutes is None or minutes < 1:
        message = "A rollout schedule needs both steps and stepMinutes (at least 1)."
    elif any(b <= a for a, b in zip([percentage, *steps], steps, strict=False)) or steps[-1] > 100:
        message = f"Steps must rise above the starting {percentage:g}% and end at most at 100."
    if message:
        raise InvalidInput(message, fields={"steps": [message]})


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


def rollout_advance() -> list[str]:
    """Beat: take every scheduled gradual rollout whose current step has run its minutes to
    its next step (100 % promotes the candidate); returns what it did. A rollout changed since
    it was read (stepped or rolled back by hand, an A/B test started) is left to the next beat."""
    scheduled = Deployment.objects.filter(
        status=DeploymentStatus.ACTIVE,
        strategy=DeploymentStrategy.GRADUAL,
        rollout_step_minutes__isnull=False,
    ).select_related("organization", "candidate_version")
    done = []
    now = timezone.now()
    for deployment in scheduled:
        if deployment.next_step_at is None or deployment.next_step_at > now:
            continue
        minutes = deployment.rollout_step_minutes
        step, rest = deployment.rollout_steps[0], deployment.rollout_steps[1:]
        reason = (
            f"Scheduled rollout step of {deployment.candidate_version.version}: "
            f"{deployment.candidate_percentage:g}% -> {step:g}% after {minutes} min."
        )
        try:
            with transaction.atomic():
                _lock(deployment.organization)
                current = deployment_get_active(
                    organization=deployment.organization, task=deployment.task
                )
                if current is None or current.pk != deployment.pk:
                    continue
                model_version_deploy(
                    model_version=deployment.candidate_version,
                    strategy=DeploymentStrategy.GRADUAL,
                    percentage=step,
                    steps=rest or None,
                    step_minutes=minutes if rest else None,
                    reason=reason,
                )
        except (Conflict, InvalidInput) as error:
            logger.info("Rollout step of deployment %s held back: %s", deployment.pk, error)
            continue
        done.append(reason)
    return done
