"""Every write of the registry: versions, deployments, A/B tests, shadows, inference logs.

Every change of what serves an org's task locks the organization row first, so concurrent
deploys, rollbacks and A/B changes of one organization run one at a time, and records a
DeploymentEvent (who, when, why, from -> to). One module per concern; import from the
package (`from models_registry.services import ...`)."""

from models_registry.services.ab_tests import (
    ab_test_conclude,
    ab_test_results,
    ab_test_start,
    ab_test_stop,
)
from models_registry.services.deployments import (
    DEFAULT_CANARY_PERCENTAGE,
    deployment_rollback,
    model_version_deploy,
    model_version_promote,
    rollout_advance,
)
from models_registry.services.inference import (
    Served,
    guardrails_check,
    inference_log_outcome,
    inference_log_record,
    inference_log_record_outcome,
    inference_log_report,
    inference_serve,
)
from models_registry.services.shadow import shadow_end, shadow_predict, shadow_start
from models_registry.services.versions import (
    model_version_deprecate,
    model_version_register,
    model_version_set_status,
    model_version_update,
)

__all__ = [
    "Served",
    "DEFAULT_CANARY_PERCENTAGE",
    "ab_test_conclude",
    "ab_test_results",
    "ab_test_start",
    "ab_test_stop",
    "deployment_rollback",
    "guardrails_check",
    "inference_log_record",
    "inference_log_outcome",
    "inference_log_record_outcome",
    "inference_log_report",
    "inference_serve",
    "model_version_deploy",
    "model_version_deprecate",
    "model_version_promote",
    "rollout_advance",
    "model_version_register",
    "model_version_set_status",
    "model_version_update",
    "shadow_end",
    "shadow_predict",
    "shadow_start",
]
