"""Every write of the training app: examples, imports and training runs.

One module per concern; import from the package (`from training.services import ...`)."""

from training.services.examples import (
    BATCH,
    REVIEW_QUALITY,
    ExampleVote,
    ImportSummary,
    content_hash,
    examples_import,
    normalize_text,
    training_example_add,
    training_example_upsert,
    training_examples_upsert,
)
from training.services.label_noise import (
    NoiseSummary,
    label_noise_check_due,
    label_noise_detect,
    label_noise_detect_rows,
)
from training.services.retrain import (
    POLICY_FIELDS,
    RETRAIN_LOCK_KEY,
    RETRAIN_LOCK_SECONDS,
    RetrainCheck,
    RetrainDecision,
    cache_lock,
    retrain_check,
    retrain_check_organization,
    retrain_policy_errors,
    retrain_policy_update,
)
from training.services.reviews import (
    REVIEW_FIELDS,
    training_example_approve,
    training_example_reject,
    training_example_relabel,
    training_examples_review,
)
from training.services.runs import (
    MIN_EXAMPLES,
    TRAINING_PARAMS,
    training_run_create,
    training_run_execute,
    training_run_reproduce,
    training_runs_reap,
)

__all__ = [
    "BATCH",
    "ExampleVote",
    "ImportSummary",
    "MIN_EXAMPLES",
    "NoiseSummary",
    "POLICY_FIELDS",
    "RETRAIN_LOCK_KEY",
    "RETRAIN_LOCK_SECONDS",
    "REVIEW_FIELDS",
    "REVIEW_QUALITY",
    "RetrainCheck",
    "RetrainDecision",
    "TRAINING_PARAMS",
    "cache_lock",
    "content_hash",
    "examples_import",
    "label_noise_check_due",
    "label_noise_detect",
    "label_noise_detect_rows",
    "normalize_text",
    "retrain_check",
    "retrain_check_organization",
    "retrain_policy_errors",
    "retrain_policy_update",
    "training_example_add",
    "training_example_approve",
    "training_example_reject",
    "training_example_relabel",
    "training_example_upsert",
    "training_examples_upsert",
    "training_examples_review",
    "training_run_create",
    "training_run_execute",
    "training_run_reproduce",
    "training_runs_reap",
]
