"""A fresh candidate against the active version, and what the policy does with it."""

import inspect

from django.db import transaction

from aiops.exceptions import DomainError
from models_registry import services as registry_services
from models_registry.selectors import deployment_get_active
from models_registry.serving import model_load
from training import estimators
from training.choices import CandidateAction
from training.evaluation import classification_metrics
from training.models import TrainingRun
from training.selectors import retrain_policy_get


def _compare_with_active(run, candidate, ids, texts, labels, label_set) -> dict:
    """Candidate (fit without the holdout) against the active version on the holdout
    examples the active version was not trained on: scoring it on its own training data
    would flatter it."""
    deployment = deployment_get_active(organization=run.organization, task=run.task)
    if deployment is None or not texts:
        return {}
    active = deployment.model_version
    seen = set(
        TrainingRun.objects.filter(model_version=active)
        .values_list("example_ids", flat=True)
        .first()
        or []
    )
    keep = [i for i, pk in enumerate(ids) if pk not in seen]
    comparison = {
        "active_version": active.version,
        "holdout_size": len(keep),
        "holdout_seen_by_active": len(ids) - len(keep),
    }
    if not keep:
        return {
            **comparison,
            "comparable": False,
            "reason": "The active version was trained on every holdout example.",
        }
    texts = [texts[i] for i in keep]
    labels = [labels[i] for i in keep]
    model = model_load(version=active)
    active_metrics = classification_metrics(labels, list(model.predict(texts)), labels=label_set)
    candidate_metrics = classification_metrics(
        labels, list(candidate.predict(texts)), labels=label_set
    )
    comparison.update(
        comparable=True,
        active_accuracy=active_metrics["accuracy"],
        active_f1_macro=active_metrics["f1_macro"],
        candidate_accuracy=candidate_metrics["accuracy"],
        candidate_f1_macro=candidate_metrics["f1_macro"],
        accuracy_delta=round(candidate_metrics["accuracy"] - active_metrics["accuracy"], 6),
    )
    for name, scored in (("active_ece", model), ("candidate_ece", candidate)):
        if hasattr(scored, "predict_proba"):
            comparison[name] = round(
                float(
                    estimators.expected_calibration_error(
                        labels, scored.predict_proba(texts), scored.classes_
                    )
                ),
                6,
            )
    return comparison


def _act_on_candidate(run: TrainingRun, candidate, active_version) -> dict:
    """What the policy says to do with a candidate that beats the active version on the same
    holdout: nothing, a canary, or an A/B test (through the registry's services, when this
    installation has them). Never fails the run: a refusal is recorded instead."""
    policy = retrain_policy_get(organization=run.organization, task=run.task)
    delta = run.comparison.get("accuracy_delta")
    outcome = {"policy": policy.on_better_candidate, "accuracy_delta": delta}
    if policy.on_better_candidate == CandidateAction.NOTHING:
        return {**outcome, "status": "none"}
    if delta is None or delta <= 0 or delta < policy.min_improvement:
        return {**outcome, "status": "not_better", "min_improvement": policy.min_improvement}
    reason = f"Candidate from training run {run.pk}: holdout accuracy {delta:+.4f}"
    deploy = registry_services.model_version_deploy
    ab_test_start = getattr(registry_services, "ab_test_start", None)
    try:
        with transaction.atomic():
            if policy.on_better_candidate == CandidateAction.CANARY:
                if "strategy" not in inspect.signature(deploy).parameters:
                    return {**outcome, "status": "unavailable"}
                deploy(
                    model_version=candidate,
                    strategy="canary",
                    percentage=policy.candidate_percentage,
                    actor=run.requested_by,
                    reason=reason,
                )
                return {**outcome, "status": "canary", "percentage": policy.candidate_percentage}
            if ab_test_start is None:
                return {**outcome, "status": "unavailable"}
            ab_test = ab_test_start(
                version_a=active_version,
                version_b=candidate,
                split_percentage=policy.candidate_percentage,
                actor=run.requested_by,
                reason=reason,
            )
            return {**outcome, "status": "ab_test", "ab_test_id": ab_test.pk}
    except DomainError as exc:
        return {**outcome, "status": "refused", "error": exc.message}
