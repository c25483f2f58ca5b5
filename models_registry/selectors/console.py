"""Reads for the admin console's pages: a version's metrics, lineage, live figures and
history; an A/B test's results shaped for display (percentages, progress)."""

from django.core.exceptions import FieldError
from django.db.models import Q

from models_registry.choices import DeploymentAction, ServingRole, VersionStatus
from models_registry.models import (
    ABTest,
    Deployment,
    DeploymentEvent,
    ModelVersion,
    ShadowDeployment,
)
from models_registry.selectors.routes import ab_test_get_running, deployment_get_active
from models_registry.selectors.stats import model_version_health_list

CONSOLE_HISTORY_ROWS = 30
# The metrics shown first, in this order (the rest of the scalar metrics follow by name).
HEADLINE_METRICS = (
    "accuracy",
    "f1_macro",
    "precision_macro",
    "recall_macro",
    "f1_weighted",
    "ece",
    "n",
)
DEPLOYING_ACTIONS = (
    DeploymentAction.DEPLOY,
    DeploymentAction.PROMOTE,
    DeploymentAction.AB_TEST_START,
)


def model_version_metrics(*, version: ModelVersion) -> dict:
    """The holdout metrics a version was registered with: the scalar ones as (name, value)
    rows, headline metrics first, and the per-class table when there is one."""
    metrics = version.metrics or {}
    scalars = {
        name: value
        for name, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    names = [n for n in HEADLINE_METRICS if n in scalars]
    names += sorted(n for n in scalars if n not in HEADLINE_METRICS)
    per_class = metrics.get("per_class")
    return {
        "rows": [(name, scalars[name]) for name in names],
        "per_class": sorted(per_class.items()) if isinstance(per_class, dict) else [],
    }


def model_version_training_run_id(*, version: ModelVersion) -> int | None:
    """The training run that produced the version. The registry does not import training:
    this follows the run's one-to-one link back by its field name (`training_run`), and
    answers None where the training app is absent or the version came from elsewhere."""
    try:
        return (
            ModelVersion.objects.filter(pk=version.pk)
            .values_list("training_run__id", flat=True)
            .first()
        )
    except FieldError:
        return None


def model_version_lineage(*, version: ModelVersion) -> dict:
    """Where a version comes from. There is no stored parent: `previous_version` is the
    version numbered just before it in its task (the one its semver was bumped from), and
    `replaced` the version it took over from when it was first deployed (the audit trail's
    first deploy / promote / A/B start that brought it in)."""
    previous = (
        ModelVersion.objects.filter(organization=version.organization_id, task=version.task)
        .filter(
            Q(major__lt=version.major)
            | Q(major=version.major, minor__lt=version.minor)
            | Q(major=version.major, minor=version.minor, patch__lt=version.patch)
        )
        .order_by("-major", "-minor", "-patch")
        .first()
    )
    first_deploy = (
        DeploymentEvent.objects.filter(to_version=version, action__in=DEPLOYING_ACTIONS)
        .select_related("from_version")
        .order_by("created_at", "id")
        .first()
    )
    return {
        "training_run_id": model_version_training_run_id(version=version),
        "dataset_hash": version.dataset_hash,
        "previous_version": previous,
        "replaced": first_deploy.from_version if first_deploy else None,
        "first_deployed_at": first_deploy.created_at if first_deploy else None,
        "estimator": version.estimator,
        "kind": version.get_kind_display(),
        "artifact_sha256": version.artifact_sha256,
        "created_by": version.created_by,
        "created_at": version.created_at,
    }


def model_version_console(*, version: ModelVersion) -> dict:
    """Everything the version's console page shows besides its own fields: metrics, lineage,
    live figures (role and traffic share now, health over its inference logs), its task's
    deployment history, the audit trail of the version, and what its task runs now (for
    the action forms)."""
    organization, task = version.organization, version.task
    health = model_version_health_list(organization=organization, version=version)[0]
    current = deployment_get_active(organization=organization, task=task)
    deployments = (
        Deployment.objects.filter(organization=organization, task=task)
        .select_related("model_version", "candidate_version", "actor")
        .order_by("-created_at", "-id")[:CONSOLE_HISTORY_ROWS]
    )
    events = (
        DeploymentEvent.objects.filter(Q(from_version=version) | Q(to_version=version))
        .select_related("from_version", "to_version", "actor")
        .order_by("-created_at", "-id")[:CONSOLE_HISTORY_ROWS]
    )
    shadow = (
        ShadowDeployment.objects.filter(organization=organization, task=task, active=True)
        .select_related("model_version")
        .first()
    )
    return {
        "metrics": model_version_metrics(version=version),
        "lineage": model_version_lineage(version=version),
        "health": health,
        "role": ServingRole(health["role"]).label if health["role"] else "",
        "live": health["stats"],
        "deployments": list(deployments),
        "events": list(events),
        "current_deployment": current,
        "running_ab_test": ab_test_get_running(organization=organization, task=task),
        "active_shadow": shadow,
        "retired": version.status in (VersionStatus.DEPRECATED, VersionStatus.ARCHIVED),
    }


def _percent(value) -> float | None:
    return None if value is None else value * 100


def _interval(interval) -> list[float] | None:
    """In points; a difference of two rates lies in [-100, 100], so a wider (early,
    sequential) interval is shown clipped to what it can say."""
    if interval is None:
        return None
    return [max(-100.0, interval[0] * 100), min(100.0, interval[1] * 100)]


def ab_test_summary(*, ab_test: ABTest, results: dict) -> dict:
    """`ab_test_results` (or a finished test's stored `result`) as the A/B page shows it:
    rates and intervals in percent, and the progress of each arm toward the minimum
    sample (judged outcomes per arm)."""
    needed = results["minimum_sample_size"]
    arms = []
    for name, key, version in (
        ("A", "arm_a", ab_test.version_a),
        ("B", "arm_b", ab_test.version_b),
    ):
        arm = results[key]
        arms.append(
            {
                "arm": name,
                "version": version,
                "n": arm["trials"],
                "correct": arm["successes"],
                "accuracy": arm["accuracy"],
                "accuracy_pct": _percent(arm["accuracy"]),
                "interval_pct": _interval(arm["wilson_ci"]),
                "inferences": (results.get("inferences") or {}).get(name),
                "progress_pct": min(100.0, 100 * arm["trials"] / needed) if needed else 100.0,
            }
        )
    smallest = min(arm["n"] for arm in arms)
    verdict = results["verdict"]
    return {
        "arms": arms,
        "difference": results["difference"],
        "difference_pct": _percent(results["difference"]),
        "difference_interval_pct": _interval(results["difference_ci"]),
        "p_value": results["p_value"],
        "sequential_interval_pct": _interval(results["sequential_ci"]),
        "chance_to_win": results["chance_to_win"],
        "chance_to_win_pct": _percent(results["chance_to_win"]),
        "srm_p_value": results["srm_p_value"],
        "srm": results["sample_ratio_mismatch"],
        "minimum_sample_size": needed,
        "smallest_arm": smallest,
        "progress_pct": min(100.0, 100 * smallest / needed) if needed else 100.0,
        "verdict": verdict,
        "verdict_class": (
            "console-bad"
            if verdict == "sample ratio mismatch"
            else "console-good"
            if verdict.endswith("wins")
            else "console-warn"
        ),
        "reason": results["reason"],
        "winner": results.get("winner"),
        "split_percentage": results.get("split_percentage", ab_test.split_percentage),
    }
