"""Routing reads: the active deployment and A/B test; which version serves a unit (or did)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q

from aiops.models import organization_id_of
from models_registry.choices import ABTestStatus, DeploymentStatus
from models_registry.models import ABTest, Deployment, ModelVersion, ShadowDeployment
from models_registry.routing import choose_arm, in_share
from models_registry.selectors.traffic import rows_by_task, versions_attach
from models_registry.serving import model_version_cached


@dataclass(frozen=True)
class Route:
    version: ModelVersion
    deployment: Deployment | None
    arm: str = ""
    ab_test: ABTest | None = None
    shadow: ShadowDeployment | None = None  # also predict with this, unseen by the caller


def deployment_get_active(*, organization, task: str) -> Deployment | None:
    """The task's active deployment with its versions (two raw reads: every deploy reads it
    under the registry lock)."""
    scope = {"organization_id": organization_id_of(organization), "task": task}
    rows = list(rows_by_task(Deployment, "status = %s", [DeploymentStatus.ACTIVE], scope).values())
    versions_attach(rows)
    return rows[0] if rows else None


def ab_test_get_running(*, organization, task: str) -> ABTest | None:
    return (
        ABTest.objects.select_related("version_a", "version_b")
        .filter(organization=organization, task=task, status=ABTestStatus.RUNNING)
        .first()
    )


def ab_test_is_running(*, organization, task: str) -> bool:
    """Whether an A/B test runs for the task (a write's check: no rows to build)."""
    return ABTest.objects.filter(
        organization=organization, task=task, status=ABTestStatus.RUNNING
    ).exists()


_DEPLOY_CHECKS_SQL = f"""
SELECT (SELECT status FROM {ModelVersion._meta.db_table} WHERE id = %s),
       EXISTS (SELECT 1 FROM {ABTest._meta.db_table}
               WHERE organization_id = %s AND task = %s AND status = %s)
"""


def deploy_checks(*, version_id: int, organization, task: str) -> tuple[str | None, bool]:
    """A version's status as stored (None if it is gone) and whether an A/B test runs for
    the task: a deploy's two checks under the registry lock, in one read."""
    params = [version_id, organization_id_of(organization), task, ABTestStatus.RUNNING]
    with connection.cursor() as cursor:
        cursor.execute(_DEPLOY_CHECKS_SQL, params)
        status, ab_test_running = cursor.fetchone()
    return status, bool(ab_test_running)


def candidate_salt(candidate_id: int) -> str:
    # Keyed by the candidate, not the deployment row: stepping a gradual rollout up from 10 %
    # to 20 % keeps every unit that was already on the candidate.
    return f"candidate-{candidate_id}"


def _choose(
    deployment: Deployment | None, ab_test: ABTest | None, unit_id: str
) -> tuple[int, str] | None:
    """(version id, arm) for a unit under a deployment and a running A/B test (it wins)."""
    if ab_test is not None:
        arm = choose_arm(
            salt=ab_test.salt, unit_id=unit_id, split_b_percentage=ab_test.split_percentage
        )
        return (ab_test.version_b_id if arm == "B" else ab_test.version_a_id), arm
    if deployment is None:
        return None
    candidate_id = deployment.candidate_version_id
    if candidate_id is not None and in_share(
        salt=candidate_salt(candidate_id),
        unit_id=unit_id,
        percentage=deployment.candidate_percentage,
    ):
        return candidate_id, ""
    return deployment.model_version_id, ""


# The whole routing state of one org's task in one round trip: the partial unique constraints
# allow at most one active deployment, running A/B test and active shadow, so this is one row.
_ROUTING_SQL = f"""
SELECT d.id, d.model_version_id, d.candidate_version_id, d.candidate_percentage,
       a.id, a.version_a_id, a.version_b_id, a.split_percentage, a.salt,
       s.id, s.model_version_id, s.percentage, s.salt
FROM (SELECT 1 AS one) AS base
LEFT JOIN {Deployment._meta.db_table} d
       ON d.organization_id = %s AND d.task = %s AND d.status = 'active'
LEFT JOIN {ABTest._meta.db_table} a
       ON a.organization_id = %s AND a.task = %s AND a.status = 'running'
LEFT JOIN {ShadowDeployment._meta.db_table} s
       ON s.organization_id = %s AND s.task = %s AND s.active = %s
"""


def route_for_unit(*, organization, task: str, unit_id: str) -> Route | None:
    """The version that serves this unit: the arm of a running A/B test, else the stable
    version or the candidate for its share (and a shadow version to predict unseen, if any).

    On the hot path of every prediction: the routing state is read fresh in one indexed query
    (so every process follows a deploy by its next request) and the version itself comes from
    the per-process cache of immutable serving fields (`serving.model_version_cached`).
    """
    org_id = organization.pk
    with connection.cursor() as cursor:
        cursor.execute(_ROUTING_SQL, [org_id, task, org_id, task, org_id, task, True])
        row = cursor.fetchone()
    deployment = ab_test = shadow = None
    if row[0] is not None:
        deployment = Deployment(
            pk=row[0],
            organization_id=org_id,
            task=task,
            model_version_id=row[1],
            candidate_version_id=row[2],
            candidate_percentage=row[3],
            status=DeploymentStatus.ACTIVE,
        )
    if row[4] is not None:
        ab_test = ABTest(
            pk=row[4],
            organization_id=org_id,
            task=task,
            version_a_id=row[5],
            version_b_id=row[6],
            split_percentage=row[7],
            salt=row[8],
            status=ABTestStatus.RUNNING,
        )
    choice = _choose(deployment, ab_test, unit_id)
    if choice is None:
        return None
    version_id, arm = choice
    if (
        row[9] is not None
        and row[10] != version_id
        and in_share(salt=row[12], unit_id=unit_id, percentage=row[11])
    ):
        shadow = ShadowDeployment(
            pk=row[9], organization_id=org_id, task=task, model_version_id=row[10]
        )
    return Route(
        version=model_version_cached(pk=version_id),
        deployment=deployment,
        arm=arm,
        ab_test=ab_test,
        shadow=shadow,
    )


def deployment_at(*, organization, task: str, at: datetime) -> Deployment | None:
    """The deployment in force at `at`: the last one created by then (rows form a chain)."""
    return (
        Deployment.objects.select_related("model_version", "candidate_version")
        .filter(organization=organization, task=task, created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
    )


def model_version_served_at(
    *, organization, task: str, at: datetime, unit_id: str | None = None
) -> ModelVersion | None:
    """Which version served org X's task Y at time T: the stable version then, or, given a
    unit, the version that unit was routed to (A/B arm or candidate share) at that time."""
    deployment = deployment_at(organization=organization, task=task, at=at)
    if unit_id is None:
        return deployment.model_version if deployment else None
    ab_test = (
        ABTest.objects.select_related("version_a", "version_b")
        .filter(organization=organization, task=task, created_at__lte=at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .order_by("-created_at")
        .first()
    )
    choice = _choose(deployment, ab_test, unit_id)
    return ModelVersion.objects.get(pk=choice[0]) if choice else None
