"""Shadow deployments: start, end, and the shadow prediction of a logged inference."""

import time
import uuid

from django.db import transaction
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from aiops.models import Organization
from models_registry.choices import CLASSIFIER_TASKS, DeploymentAction, VersionStatus
from models_registry.models import ModelVersion, ShadowDeployment, ShadowPrediction
from models_registry.selectors import shadow_report
from models_registry.services.versions import (
    _check_deployable,
    _check_servable,
    _event,
    _serving_version_ids,
    _set_status,
    _warm_on_commit,
    registry_lock,
)
from models_registry.serving import model_load, predict_label


@transaction.atomic
def shadow_start(
    *, model_version: ModelVersion, percentage: float = 100.0, actor=None, reason: str = ""
) -> ShadowDeployment:
    """Let a trained classifier predict in the shadow of live traffic (a sticky share of the
    units, its answers never returned) to judge it before any user sees it."""
    if model_version.task not in CLASSIFIER_TASKS:
        raise InvalidInput("Shadow deployments compare labels: classification tasks only.")
    if not 0 < percentage <= 100:
        raise InvalidInput(
            "The percentage must be above 0 and at most 100.",
            fields={"percentage": ["Must be within (0, 100]."]},
        )
    _check_servable(model_version)
    organization, task = model_version.organization, model_version.task
    registry_lock(organization, task)
    model_version.refresh_from_db(fields=["status"])
    _check_deployable(model_version)
    if ShadowDeployment.objects.filter(organization=organization, task=task, active=True).exists():
        raise Conflict(f"A shadow deployment of {task} is active: end it first.")
    changes: dict = {}
    if model_version.pk not in _serving_version_ids(organization, task):
        _set_status(model_version, VersionStatus.SHADOW, changes)
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
        details={
            "shadow_id": shadow.pk,
            "percentage": float(percentage),
            "status_changes": changes,
        },
    )
    _warm_on_commit(organization, task)
    return shadow


@transaction.atomic
def shadow_end(*, organization: Organization, task: str, actor=None, reason: str = ""):
    """End the active shadow deployment of a task, keeping its report in the audit record."""
    registry_lock(organization, task)
    shadow = ShadowDeployment.objects.filter(
        organization=organization, task=task, active=True
    ).first()
    if shadow is None:
        raise Conflict(f"No shadow deployment of {task} is active.")
    shadow.active, shadow.ended_at = False, timezone.now()
    shadow.save(update_fields=["active", "ended_at"])
    changes: dict = {}
    version = shadow.model_version
    version.refresh_from_db(fields=["status"])
    if version.status == VersionStatus.SHADOW:
        _set_status(version, VersionStatus.STAGING, changes)
    report = shadow_report(shadow=shadow)
    _event(
        organization=organization,
        task=task,
        action=DeploymentAction.SHADOW_END,
        from_version=shadow.model_version,
        actor=actor,
        reason=reason,
        details={
            **{k: report[k] for k in ("predictions", "agreement", "shadow_accuracy")},
            "status_changes": changes,
        },
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
    model = model_load(version=shadow.model_version)
    started = time.perf_counter()  # after the load: a load is never inference latency
    label, confidence = predict_label(model, text)
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
