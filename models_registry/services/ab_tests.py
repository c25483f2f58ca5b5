"""A/B tests: start, results, conclude (promote the winner), stop."""

import math
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from models_registry import stats
from models_registry.choices import ABTestStatus, DeploymentAction, VersionStatus
from models_registry.models import ABTest, InferenceLog, ModelVersion
from models_registry.selectors import (
    ab_test_arm_counts,
    ab_test_is_running,
    accuracy,
    deployment_get_active,
)
from models_registry.services.deployments import model_version_promote
from models_registry.services.versions import (
    _check_deployable,
    _check_servable,
    _event,
    _set_status,
    _warm_on_commit,
    registry_lock,
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
    a_is_stable: bool = False,
) -> ABTest:
    """Split an org's task between two of its versions; B takes `split_percentage` % (1..99).
    `a_is_stable`: the caller chose A as the stable version it read; refuse (409) if that
    changed before the lock was taken."""
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
    for version in (version_a, version_b):
        _check_servable(version)
    organization, task = version_a.organization, version_a.task
    registry_lock(organization, task)
    if ab_test_is_running(organization=organization, task=task):
        raise Conflict(f"An A/B test is already running for {task}: conclude or stop it first.")
    current = deployment_get_active(organization=organization, task=task)
    if a_is_stable and (current is None or current.model_version_id != version_a.pk):
        raise Conflict(
            f"What serves {task} changed meanwhile ({version_a.version} is no longer the stable "
            "version): look again, then start the test."
        )
    if current is not None and current.candidate_version is not None:
        raise Conflict(
            f"A {current.strategy} rollout of {current.candidate_version.version} is under way "
            f"for {task}: promote it or roll it back before an A/B test."
        )
    changes: dict = {}
    for version in (version_a, version_b):
        version.refresh_from_db(fields=["status"])
        _check_deployable(version)
        if current is None or version.pk != current.model_version_id:
            _set_status(version, VersionStatus.AB_TEST, changes)
    measured = accuracy(logs=InferenceLog.objects.filter(model_version=version_a)).accuracy
    baseline = measured if measured is not None else version_a.metrics.get("accuracy", 0.5)
    baseline = min(max(float(baseline), 0.0), 1.0)
    try:
        exact = stats.sample_size_per_arm(
            baseline_rate=baseline, minimum_detectable_effect=minimum_detectable_effect
        )
    except ValueError as error:
        raise InvalidInput(
            str(error), fields={"minimum_detectable_effect": [str(error)]}
        ) from error
    needed = math.ceil(exact - 1e-9)
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
        details={
            "split_percentage": float(split_percentage),
            "minimum_sample_size": needed,
            "status_changes": changes,
        },
    )
    _warm_on_commit(organization, task)
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
    ab_test.verdict = results["verdict"]
    ab_test.result = {
        **results,
        "status": status,
        "winner": winner.version if winner else None,
        "ended_at": ab_test.ended_at.isoformat(),
    }
    ab_test.save(update_fields=["status", "winner", "ended_at", "verdict", "result"])


@transaction.atomic
def ab_test_conclude(
    *,
    ab_test: ABTest,
    actor=None,
    reason: str = "",
    winner: str | None = None,
    force: bool = False,
) -> ABTest:
    """End a running test and promote its winner through `model_version_promote` (an arm
    less accurate than the other only with `force`). The winner is the statistics' verdict;
    an admin may name one ("A" / "B") when it is inconclusive. The other arm is deprecated."""
    registry_lock(ab_test.organization, ab_test.task)
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
    current = deployment_get_active(organization=ab_test.organization, task=ab_test.task)
    if current is None or current.model_version_id != chosen.pk or current.candidate_version_id:
        model_version_promote(
            organization=ab_test.organization,
            task=ab_test.task,
            version=chosen,
            actor=actor,
            reason=why,
            force=force,
            ab_test=ab_test,
        )
    changes: dict = {}
    loser.refresh_from_db(fields=["status"])
    if loser.status != VersionStatus.DEPRECATED:
        _set_status(loser, VersionStatus.DEPRECATED, changes)
    _event(
        organization=ab_test.organization,
        task=ab_test.task,
        action=DeploymentAction.AB_TEST_CONCLUDE,
        from_version=loser,
        to_version=chosen,
        ab_test=ab_test,
        actor=actor,
        reason=why,
        details={
            "verdict": results["verdict"],
            "winner_arm": arm,
            "overridden": winner,
            "status_changes": changes,
        },
    )
    return ab_test


@transaction.atomic
def ab_test_stop(
    *, ab_test: ABTest, actor=None, reason: str = "", action: str = DeploymentAction.AB_TEST_STOP
) -> ABTest:
    """End a running test without promoting anything; its arms other than the stable
    version go out of service (deprecated)."""
    registry_lock(ab_test.organization, ab_test.task)
    ab_test.refresh_from_db()
    if ab_test.status != ABTestStatus.RUNNING:
        raise Conflict(f"A/B test {ab_test.pk} is {ab_test.status}, not running.")
    results = ab_test_results(ab_test=ab_test)
    _ab_test_end(ab_test=ab_test, status=ABTestStatus.STOPPED, winner=None, results=results)
    current = deployment_get_active(organization=ab_test.organization, task=ab_test.task)
    serving = {current.model_version_id, current.candidate_version_id} if current else set()
    changes: dict = {}
    for version in (ab_test.version_a, ab_test.version_b):
        version.refresh_from_db(fields=["status"])
        if version.pk not in serving and version.status == VersionStatus.AB_TEST:
            _set_status(version, VersionStatus.DEPRECATED, changes)
    _event(
        organization=ab_test.organization,
        task=ab_test.task,
        action=action,
        from_version=ab_test.version_b,
        to_version=ab_test.version_a,
        ab_test=ab_test,
        actor=actor,
        reason=reason,
        details={"verdict": results["verdict"], "status_changes": changes},
    )
    return ab_test
