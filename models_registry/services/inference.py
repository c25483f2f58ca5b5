"""Serving a unit (route, load, predict, with fallback), the inference logs (record,
outcome, report), and the guardrails check over them."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aiops.exceptions import Conflict, Unavailable
from aiops.models import Organization
from aiops.sql import insert, insert_linked, update_by_pk
from models_registry import stats
from models_registry.choices import (
    ABTestStatus,
    DeploymentAction,
    DeploymentStatus,
    Outcome,
    VersionKind,
)
from models_registry.models import ABTest, Deployment, InferenceLog, ModelVersion, ShadowDeployment
from models_registry.selectors import Route, accuracy, candidate_since, route_for_unit
from models_registry.services.ab_tests import ab_test_stop
from models_registry.services.deployments import deployment_rollback
from models_registry.services.shadow import _shadow_enqueue
from models_registry.serving import (
    ModelUnavailable,
    ServingError,
    model_load,
    model_version_cached,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """A prediction and the route that made it (the stable version's after a fallback)."""

    route: Route
    output: Any
    load_ms: float  # spent loading models during the call: never part of a latency


def _fallback(route: Route) -> Route | None:
    stable_id = route.deployment.model_version_id if route.deployment is not None else None
    if stable_id is None or stable_id == route.version.pk:
        return None
    shadow = route.shadow
    if shadow is not None and shadow.model_version_id == stable_id:
        shadow = None
    return Route(
        version=model_version_cached(pk=stable_id), deployment=route.deployment, shadow=shadow
    )


def inference_serve(
    *, organization: Organization, task: str, unit_id: str, predict: Callable[[Any], Any]
) -> Served:
    """Route the unit, load its version's model and `predict(model)`. A version that fails
    (its load or its prediction raises) gets a failed inference log row (its A/B test and arm
    kept, so health and the guardrails count it) and the unit is served by the stable version
    instead; when that fails too (or was the one that failed), ModelUnavailable (503). The
    caller records the successful inference; its latency must leave out `load_ms`."""
    route = route_for_unit(organization=organization, task=task, unit_id=unit_id)
    if route is None:
        raise Unavailable(
            f"No model is deployed for task {task} yet: train one first (POST /api/ai/train)."
        )
    load_ms = 0.0
    failures = []
    for attempt in (route, _fallback(route)):
        if attempt is None:
            break
        started, loaded = time.perf_counter(), None
        try:
            model = model_load(version=attempt.version)
            loaded = time.perf_counter()
            load_ms += (loaded - started) * 1000
            return Served(route=attempt, output=predict(model), load_ms=load_ms)
        except Exception as error:  # noqa: BLE001 - any failure of a version falls back
            now = time.perf_counter()
            if loaded is None:  # the load failed: its time is load time too
                load_ms += (now - started) * 1000
            spent = (now - loaded) * 1000 if loaded is not None else 0.0
            failures.append(f"{attempt.version.version}: {type(error).__name__}: {error}")
            if isinstance(error, ServingError):  # already says what is wrong
                logger.warning("%s %s cannot serve: %s", task, attempt.version.version, error)
            else:
                logger.exception("%s %s failed to predict", task, attempt.version.version)
            inference_log_record(
                organization=organization,
                model_version=attempt.version,
                latency_ms=spent,
                unit_id=unit_id,
                arm=attempt.arm,
                ab_test=attempt.ab_test,
                success=False,
                error=failures[-1][:2000],
            )
    raise ModelUnavailable(
        f"No model version could serve {task} just now ({'; '.join(failures)}). The failure "
        "is logged; try again shortly."
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
    ab_test: ABTest | None = None,
    shadow: ShadowDeployment | None = None,
    shadow_text: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    success: bool = True,
    error: str = "",
    operation=None,
) -> InferenceLog:
    """Log one inference. With `operation`, an unsaved operation record whose foreign key
    `inference_log` is to name this log, insert it too, all or nothing (one statement on
    PostgreSQL)."""
    cost = (
        Decimal(tokens_in) * model_version.input_price_per_1k
        + Decimal(tokens_out) * model_version.output_price_per_1k
    ) / 1000
    log = InferenceLog(
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
    if operation is None:
        insert(log)
    else:
        insert_linked(log, operation, "inference_log")
    if shadow is not None and shadow_text:
        # After the commit, off the request: the shadow's answer is never returned.
        transaction.on_commit(lambda: _shadow_enqueue(shadow.pk, log.pk, shadow_text))
    return log


def inference_log_outcome(*, correct: bool | None, true_label: str = "") -> dict:
    """The fields a prediction's log gets for what feedback revealed (None: unknown again).
    `outcome_at` is when the outcome was last written, a reset included: the metrics rollups
    rebuild the prediction's hour from it."""
    if correct is None:
        outcome = Outcome.UNKNOWN
    else:
        outcome = Outcome.CORRECT if correct else Outcome.INCORRECT
    return {"outcome": outcome, "true_label": true_label[:200], "outcome_at": timezone.now()}


def inference_log_record_outcome(
    *, inference_log_id: int, correct: bool | None, true_label: str = ""
) -> None:
    """Record what feedback revealed about a prediction (inference_log_outcome)."""
    fields = inference_log_outcome(correct=correct, true_label=true_label)
    update_by_pk(InferenceLog, inference_log_id, **fields)


def inference_log_report(
    *,
    organization: Organization,
    model_version: ModelVersion,
    latency_ms: float,
    success: bool | None = None,
    error: str = "",
    **fields,
) -> InferenceLog:
    """Record an inference made outside this service (the seed's logInference), by an
    external provider's model; without an explicit `success`, an error means it failed.
    A version trained here is served here, which logs its inferences itself: a report for it
    could only fake its latency, errors and so its health."""
    if model_version.kind != VersionKind.EXTERNAL:
        raise Conflict(
            f"{model_version.version} is trained and served here, which logs its inferences "
            "itself; inference logs can be reported only for external versions.",
            fields={"version": ["Not an external version."]},
        )
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
        logs = InferenceLog.objects.filter(
            organization=deployment.organization_id,
            task=deployment.task,
            created_at__gte=candidate_since(deployment=deployment),
            ab_test__isnull=True,
        )
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
