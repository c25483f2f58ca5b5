"""Every write of the registry: versions, deployments, inference logs."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aiops.models import Organization
from models_registry import semver
from models_registry.artifacts import artifact_store
from models_registry.choices import DeploymentStatus, DeploymentStrategy, Outcome, VersionStatus
from models_registry.models import Deployment, InferenceLog, ModelVersion
from models_registry.selectors import deployment_get_active, model_version_latest


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
) -> ModelVersion:
    """Register a trained model (stored as a verified artifact) under the next or given semver."""
    # Lock the organization row so concurrent registrations number versions one at a time.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if version is None:
        latest = model_version_latest(organization=organization, task=task)
        current = (latest.major, latest.minor, latest.patch) if latest else None
        major, minor, patch = semver.bump(current, part=bump)
    else:
        major, minor, patch = semver.parse(version)
    path, sha256 = ("", "")
    if model is not None:
        path, sha256 = artifact_store(obj=model, organization_id=organization.pk, task=task)
    return ModelVersion.objects.create(
        organization=organization,
        task=task,
        major=major,
        minor=minor,
        patch=patch,
        estimator=estimator,
        artifact_path=path,
        artifact_sha256=sha256,
        labels=labels or [],
        metrics=metrics or {},
        params=params or {},
        dataset_hash=dataset_hash,
        created_by=actor,
    )


@transaction.atomic
def model_version_deploy(
    *, model_version: ModelVersion, actor=None, reason: str = ""
) -> Deployment:
    """Make `model_version` the one serving version of its org and task (full rollout)."""
    organization, task = model_version.organization, model_version.task
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    current = deployment_get_active(organization=organization, task=task)
    now = timezone.now()
    if current is not None:
        Deployment.objects.filter(pk=current.pk).update(
            status=DeploymentStatus.SUPERSEDED, ended_at=now
        )
        if current.model_version_id != model_version.pk:
            ModelVersion.objects.filter(pk=current.model_version_id).update(
                status=VersionStatus.DEPRECATED
            )
    ModelVersion.objects.filter(pk=model_version.pk).update(status=VersionStatus.ACTIVE)
    model_version.status = VersionStatus.ACTIVE
    return Deployment.objects.create(
        organization=organization,
        task=task,
        strategy=DeploymentStrategy.FULL,
        model_version=model_version,
        previous=current,
        actor=actor,
        reason=reason,
    )


def inference_log_record(
    *,
    organization: Organization,
    model_version: ModelVersion,
    latency_ms: float,
    predicted_label: str = "",
    confidence: float | None = None,
    unit_id: str = "",
    arm: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    success: bool = True,
    error: str = "",
) -> InferenceLog:
    cost = (
        Decimal(tokens_in) * model_version.input_price_per_1k
        + Decimal(tokens_out) * model_version.output_price_per_1k
    ) / 1000
    return InferenceLog.objects.create(
        organization=organization,
        task=model_version.task,
        model_version=model_version,
        latency_ms=latency_ms,
        predicted_label=predicted_label[:200],
        confidence=confidence,
        unit_id=unit_id,
        arm=arm,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost,
        success=success,
        error=error,
    )


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
