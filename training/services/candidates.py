"""A fresh candidate against the active version, and what the policy does with it."""

from django.db import transaction

from aiops.exceptions import DomainError
from models_registry import services as registry_services
from models_registry.serving import model_load
from training import estimators
from training.choices import CandidateAction
from training.evaluation import classification_metrics
from training.models import TrainingRun
from training.selectors import retrain_policy_get


def candidate_compare(
    *, run: TrainingRun, active, candidate, ids: list[int], texts, labels, label_set
) -> dict:
    """The candidate against the active version on the run's evaluation examples (`ids`,
    which the candidate never fit) that the active version never fit either: what each run
    fit on is recorded, so "seen" is exact. A version with no training run on record (one
    registered by hand) is not comparable: what it saw is unknown."""
    if active is None or not ids:
        return {}
    comparison = {"active_version": active.version, "holdout_size": 0}
    active_run = TrainingRun.objects.filter(model_version=active).only("fit_example_ids").first()
    if active_run is None:
        return {
            **comparison,
            "holdout_seen_by_active": None,
            "comparable": False,
            "reason": f"{active.version} has no training run on record: what it fit is unknown.",
        }
    seen = set(active_run.fit_example_ids)
    keep = [i for i, pk in enumerate(ids) if pk not in seen]
    comparison.update(holdout_size=len(keep), holdout_seen_by_active=len(ids) - len(keep))
    if not keep:
        return {
            **comparison,
            "comparable": False,
            "reason": f"{active.version} was fit on every evaluation example of this run.",
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


def candidate_act(*, run: TrainingRun, candidate, active_version) -> dict:
    """What the policy says to do with a candidate that beats the active version on examples
    neither fit: nothing, a canary, or an A/B test (through the registry's services). Never
    fails the run: a refusal is recorded instead."""
    policy = retrain_policy_get(organization=run.organization, task=run.task)
    delta = run.comparison.get("accuracy_delta")
    outcome = {"policy": policy.on_better_candidate, "accuracy_delta": delta}
    if policy.on_better_candidate == CandidateAction.NOTHING:
        return {**outcome, "status": "none"}
    if not run.comparison.get("comparable"):
        return {**outcome, "status": "not_comparable"}
    if delta is None or delta <= 0 or delta < policy.min_improvement:
        return {**outcome, "status": "not_better", "min_improvement": policy.min_improvement}
    reason = f"Candidate from training run {run.pk}: evaluation accuracy {delta:+.4f}"
    try:
        with transaction.atomic():
            if policy.on_better_candidate == CandidateAction.CANARY:
                registry_services.model_version_deploy(
                    model_version=candidate,
                    strategy="canary",
                    percentage=policy.candidate_percentage,
                    actor=run.requested_by,
                    reason=reason,
                )
                return {**outcome, "status": "canary", "percentage": policy.candidate_percentage}
            ab_test = registry_services.ab_test_start(
                version_a=active_version,
                version_b=candidate,
                split_percentage=policy.candidate_percentage,
                actor=run.requested_by,
                reason=reason,
            )
            return {**outcome, "status": "ab_test", "ab_test_id": ab_test.pk}
    except DomainError as exc:
        return {**outcome, "status": "refused", "error": exc.message}
