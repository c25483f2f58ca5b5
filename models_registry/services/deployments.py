"""Deployments: deploy (full, canary or gradual), promote a candidate, roll back, and the
scheduled steps of a gradual rollout."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from aiops.sql import fetch, insert, pipelined, select_from, update_by_pk
from models_registry.choices import (
    SERVING_STATUSES,
    DeploymentAction,
    DeploymentStatus,
    DeploymentStrategy,
    VersionStatus,
)
from models_registry.models import ABTest, Deployment, ModelVersion
from models_registry.selectors import (
    ab_test_is_running,
    deploy_checks,
    deployment_get_active,
    promotion_evidence,
    rollback_target,
)
from models_registry.services.versions import (
    _check_deployable,
    _check_servable,
    _event,
    _serving_version_ids,
    _set_status,
    _warm_on_commit,
    registry_lock,
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
    current: Deployment | None,
) -> Deployment:
    """End `current`, the active deployment the caller read under the registry lock (if any),
    and create its successor."""
    if current is not None:
        update_by_pk(Deployment, current.pk, status=ended_as, ended_at=timezone.now())
    new = insert(
        Deployment(
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
    )
    return new


# Versions older than the newest N that are neither deprecated nor archived. Raw SQL: it
# runs in every deploy, and compiling the ORM's version (a subquery and two excludes) took
# several times as long as running it.
_OLD_VERSIONS_WHERE = f"""
WHERE organization_id = %s AND task = %s AND status NOT IN (%s, %s) AND id NOT IN (
    SELECT id FROM {ModelVersion._meta.db_table} WHERE organization_id = %s AND task = %s
    ORDER BY major DESC, minor DESC, patch DESC LIMIT %s
)
ORDER BY major DESC, minor DESC, patch DESC
"""


def _deprecate_old_versions(
    *, organization: Organization, task: str, actor=None, live: frozenset[int] = frozenset()
) -> list[str]:
    """Deprecate versions older than the newest N (settings.MODEL_REGISTRY_KEEP_VERSIONS) that
    serve nothing; returns the versions deprecated. One query finds only the versions still to
    deprecate (usually none), so a deploy costs the same whatever the number of versions. What
    serves is read only when one of them has a serving status and is not in `live` (ids the
    caller knows serve: what it just deployed)."""
    keep = int(getattr(settings, "MODEL_REGISTRY_KEEP_VERSIONS", 5))
    scope = [organization.pk, task]
    params = [*scope, VersionStatus.DEPRECATED, VersionStatus.ARCHIVED, *scope, keep]
    old = fetch(ModelVersion, select_from(ModelVersion) + _OLD_VERSIONS_WHERE, params)
    if not old:
        return []
    serving = set(live)
    if any(v.status in SERVING_STATUSES and v.pk not in live for v in old):
        serving |= _serving_version_ids(organization, task)
    deprecated = []
    for version in old:
        if version.pk in serving:
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
) -> Deployment:
    """Deploy a version of its org's task; it must be able to serve here (`_check_servable`).

    full: it becomes the one serving version (the previous one is deprecated).
    gradual / canary: it becomes the candidate taking `percentage` % (below 100) of the units
    (sticky) beside the current stable version; deploying it again with a larger share steps
    a gradual rollout up, and `model_version_promote` finishes it. A gradual rollout may carry
    a schedule: beat takes the next of `steps` every `step_minutes` (rollout_advance), and a
    last step of 100 promotes."""
    if strategy not in DeploymentStrategy.values:
        raise InvalidInput(f"Unknown strategy {strategy!r}.", fields={"strategy": ["Unknown."]})
    if strategy != DeploymentStrategy.FULL:
        if percentage is None:
            percentage = DEFAULT_CANARY_PERCENTAGE
        if percentage == 100:
            message = (
                "A candidate on 100% of the traffic is a promotion: use the 'promote' action, "
                "which checks its measured accuracy against the stable version's."
            )
            raise InvalidInput(message, fields={"percentage": [message]})
        if not 0 < percentage < 100:
            raise InvalidInput(
                "The percentage must be above 0 and below 100.",
                fields={"percentage": ["Must be within (0, 100)."]},
            )
    _check_schedule(strategy=strategy, percentage=percentage, steps=steps, minutes=step_minutes)
    _check_servable(model_version)
    organization, task = model_version.organization, model_version.task
    registry_lock(organization, task)
    current = deployment_get_active(organization=organization, task=task)
    if (
        strategy == DeploymentStrategy.FULL
        and current is not None
        and current.candidate_version_id == model_version.pk
    ):
        message = (
            f"{model_version.version} is the candidate of the {current.strategy} rollout: "
            "use the 'promote' action to deploy it fully."
        )
        raise InvalidInput(message, fields={"strategy": [message]})
    return _deploy(
        model_version=model_version,
        current=current,
        actor=actor,
        reason=reason,
        strategy=strategy,
        percentage=percentage,
        steps=steps,
        step_minutes=step_minutes,
    )


def _deploy(
    *,
    model_version: ModelVersion,
    current: Deployment | None,
    actor,
    reason: str,
    strategy: str,
    percentage: float | None = None,
    steps: list[float] | None = None,
    step_minutes: int | None = None,
    action: str = DeploymentAction.DEPLOY,
    details: dict | None = None,
) -> Deployment:
    """The change of what serves, once checked; the caller holds the registry lock and read
    `current` under it."""
    organization, task = model_version.organization, model_version.task
    status, ab_test_running = deploy_checks(
        version_id=model_version.pk, organization=organization, task=task
    )
    if status is None:
        raise Conflict(f"{task} {model_version.version} was deleted meanwhile.")
    model_version.status = status
    _check_deployable(model_version)
    if ab_test_running:
        raise Conflict(f"An A/B test is running for {task}: conclude or stop it before deploying.")
    if strategy != DeploymentStrategy.FULL:
        if current is None:
            raise Conflict(
                f"Nothing serves {task} yet: deploy a first version with strategy 'full' "
                f"before a {strategy} rollout."
            )
        if current.model_version_id == model_version.pk:
            raise InvalidInput(f"{model_version.version} is already the stable version.")
    changes: dict = {}
    # The writes go in one round trip, or two: the new deployment's key is read back.
    with pipelined():
        if strategy == DeploymentStrategy.FULL:
            old = current.model_version if current else None
            if current is not None and current.candidate_version_id not in (None, model_version.pk):
                _set_status(current.candidate_version, VersionStatus.DEPRECATED, changes)
            _set_status(model_version, VersionStatus.ACTIVE, changes)
            deployment = _replace_deployment(
                organization=organization,
                task=task,
                strategy=DeploymentStrategy.FULL,
                model_version=model_version,
                actor=actor,
                reason=reason,
                current=current,
            )
            if old is not None and old.pk != model_version.pk:
                _set_status(old, VersionStatus.DEPRECATED, changes)
            shown = {"strategy": DeploymentStrategy.FULL}
        else:
            old = current.candidate_version
            if old is not None and old.pk != model_version.pk:
                _set_status(old, VersionStatus.DEPRECATED, changes)
            _set_status(model_version, VersionStatus.CANARY, changes)
            deployment = _replace_deployment(
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
                current=current,
            )
            shown = {
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
            details={**shown, **(details or {}), "status_changes": changes},
        )
    live = [v for v in (deployment.model_version, deployment.candidate_version) if v]
    _deprecate_old_versions(
        organization=organization, task=task, actor=actor, live=frozenset(v.pk for v in live)
    )
    _warm_on_commit(organization, task, live=live)
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
    force: bool = False,
    ab_test: ABTest | None = None,
) -> Deployment:
    """Finish a rollout: the candidate (or the given version, e.g. an A/B test's winner)
    becomes the full deployment. Its measured accuracy is compared with its control's on the
    same traffic (`promotion_evidence`); a worse one is promoted only with `force`. The
    promote event records both accuracies, their n, and whether it was forced."""
    target = version
    if target is None:
        current = deployment_get_active(organization=organization, task=task)
        target = current.candidate_version if current else None
        if target is None:
            raise Conflict(
                f"No canary or gradual rollout of {task} to promote: name a version instead."
            )
    _check_servable(target)
    registry_lock(organization, task)
    current = deployment_get_active(organization=organization, task=task)
    if version is None and (current is None or current.candidate_version_id != target.pk):
        raise Conflict(f"The rollout of {task} changed meanwhile: look again, then promote.")
    evidence = promotion_evidence(deployment=current, candidate=target, ab_test=ab_test)
    mine, theirs = evidence["candidate"]["accuracy"], evidence["control"]["accuracy"]
    worse = mine is not None and theirs is not None and mine < theirs
    if worse and not force:
        candidate, control = evidence["candidate"], evidence["control"]
        raise Conflict(
            f"{task} {target.version} is less accurate than {control['version']} on "
            f"{evidence['measured_on']}: {mine:.1%} of {candidate['judged']} judged against "
            f"{theirs:.1%} of {control['judged']}. Promote it with force to do it anyway."
        )
    return _deploy(
        model_version=target,
        current=current,
        actor=actor,
        reason=reason,
        strategy=DeploymentStrategy.FULL,
        action=DeploymentAction.PROMOTE,
        details={"promotion": {**evidence, "worse": worse, "forced": bool(force)}},
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
    """One call: drop a canary / gradual candidate, or else go back to the last stable
    version before the current one that was not rolled away from (`rollback_target`), so
    rollbacks in a row walk back through the history instead of toggling. 409 when nothing
    is left to go back to."""
    registry_lock(organization, task)
    current = deployment_get_active(organization=organization, task=task)
    if current is None:
        raise Conflict(f"Nothing is deployed for {task}: there is nothing to roll back.")
    if ab_test_is_running(organization=organization, task=task):
        raise Conflict(f"An A/B test is running for {task}: stop it instead of rolling back.")
    if current.candidate_version is not None:
        bad, target = current.candidate_version, current.model_version
    else:
        bad, target = current.model_version, rollback_target(deployment=current)
        if target is None:
            raise Conflict(
                f"No previous version to roll back to: every earlier version of {task} was "
                f"rolled back from, is archived, or is {bad.version} itself."
            )
        _check_servable(target)
    changes: dict = {}
    with pipelined():
        _set_status(bad, VersionStatus.DEPRECATED, changes)
        _set_status(target, VersionStatus.ACTIVE, changes)
        deployment = _replace_deployment(
            organization=organization,
            task=task,
            strategy=DeploymentStrategy.FULL,
            model_version=target,
            actor=actor,
            reason=reason or f"Rolled back from {bad.version}.",
            ended_as=DeploymentStatus.ROLLED_BACK,
            current=current,
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
            details={"status_changes": changes},
        )
    _warm_on_commit(organization, task)
    return deployment


def rollout_advance() -> list[str]:
    """Beat: take every scheduled gradual rollout whose current step has run its minutes to
    its next step; returns what it did. A last step of 100 % promotes the candidate through
    `model_version_promote`, never forced: a candidate measured worse than the stable
    version is held back (and logged) until it is not, or someone decides. A rollout changed
    since it was read (stepped or rolled back by hand, an A/B test started) is left to the
    next beat."""
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
                registry_lock(deployment.organization, deployment.task)
                current = deployment_get_active(
                    organization=deployment.organization, task=deployment.task
                )
                if current is None or current.pk != deployment.pk:
                    continue
                if step >= 100:
                    model_version_promote(
                        organization=deployment.organization,
                        task=deployment.task,
                        reason=reason,
                    )
                else:
                    model_version_deploy(
                        model_version=deployment.candidate_version,
                        strategy=DeploymentStrategy.GRADUAL,
                        percentage=step,
                        steps=rest or None,
                        step_minutes=minutes if rest else None,
                        reason=reason,
                    )
        except (Conflict, InvalidInput) as error:
            log = logger.warning if step >= 100 else logger.info
            log("Rollout step of deployment %s held back: %s", deployment.pk, error)
            continue
        done.append(reason)
    return done
