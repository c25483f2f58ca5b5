"""Lists and single-object reads: versions, deployments, events, A/B tests, logs, shadows."""

from django.db import connection
from django.db.models import QuerySet

from aiops.exceptions import NotFound
from aiops.models import Organization, organization_id_of
from aiops.sql import get_one
from models_registry import semver
from models_registry.choices import DeploymentStatus
from models_registry.models import (
    ABTest,
    Deployment,
    DeploymentEvent,
    InferenceLog,
    ModelVersion,
    ShadowDeployment,
)


def model_version_list(*, organization) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(organization=organization)


def model_version_latest(*, organization, task: str) -> ModelVersion | None:
    return model_version_list(organization=organization).filter(task=task).first()


# Raw: every registration numbers its version from this, and compiling the ORM's ordered read
# of a whole row took longer than running it.
_LATEST_SEMVER_SQL = f"""
SELECT major, minor, patch FROM {ModelVersion._meta.db_table}
WHERE organization_id = %s AND task = %s
ORDER BY major DESC, minor DESC, patch DESC LIMIT 1
"""


def model_version_latest_semver(*, organization, task: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of the task's newest version; None without one."""
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_SEMVER_SQL, [organization_id_of(organization), task])
        row = cursor.fetchone()
    return tuple(row) if row else None


def model_version_get(*, organization, task: str, version: str | int) -> ModelVersion:
    """A version of this organization by semver ("v1.2.0" / "1.2.0", within `task`) or id."""
    # A raw read (aiops.sql.get_one): every model action starts with it, and compiling the
    # ORM's query took longer than running it. (organization, task, semver) and ids are unique.
    org_id = organization_id_of(organization)
    if isinstance(version, int) or str(version).isdecimal():
        found = get_one(ModelVersion, organization_id=org_id, pk=int(version))
    else:
        try:
            major, minor, patch = semver.parse(version)
        except ValueError as error:
            raise NotFound(f"Model version {version!r} not found: {error}.") from error
        found = get_one(
            ModelVersion, organization_id=org_id, task=task, major=major, minor=minor, patch=patch
        )
    if found is None:
        raise NotFound(f"Model version {version} of task '{str(task)}' not found.")
    if isinstance(organization, Organization):
        found.organization = organization  # the caller's row: no second read of it
    return found


def model_version_active_list(*, organization) -> QuerySet[Deployment]:
    return (
        Deployment.objects.select_related("model_version", "candidate_version")
        .filter(organization=organization, status=DeploymentStatus.ACTIVE)
        .order_by("task")
    )


def deployment_list(*, organization) -> QuerySet[Deployment]:
    return Deployment.objects.filter(organization=organization).select_related(
        "model_version", "candidate_version", "actor"
    )


def deployment_event_list(*, organization) -> QuerySet[DeploymentEvent]:
    return DeploymentEvent.objects.filter(organization=organization).select_related(
        "from_version", "to_version", "actor"
    )


def ab_test_list(*, organization) -> QuerySet[ABTest]:
    return ABTest.objects.filter(organization=organization).select_related(
        "version_a", "version_b", "winner"
    )


def ab_test_get(*, organization, ab_test_id: int | None = None, task: str = "category") -> ABTest:
    """The given A/B test of this organization, else the latest one of `task`."""
    tests = ab_test_list(organization=organization)
    found = (
        tests.filter(pk=ab_test_id).first()
        if ab_test_id is not None
        else tests.filter(task=task).order_by("-created_at", "-id").first()
    )
    if found is None:
        raise NotFound(
            f"A/B test {ab_test_id} not found."
            if ab_test_id is not None
            else f"No A/B test for task {task}."
        )
    return found


def inference_log_list(*, organization) -> QuerySet[InferenceLog]:
    return InferenceLog.objects.filter(organization=organization)


def shadow_get(*, organization, task: str = "category") -> ShadowDeployment:
    """The active shadow deployment of a task, else its latest one."""
    shadow = (
        ShadowDeployment.objects.select_related("model_version")
        .filter(organization=organization, task=task)
        .order_by("-active", "-created_at", "-id")
        .first()
    )
    if shadow is None:
        raise NotFound(f"No shadow deployment of {task}.")
    return shadow
