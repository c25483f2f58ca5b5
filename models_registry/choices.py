from django.db import models


class Task(models.TextChoices):
    CATEGORY = "category", "Category"
    PRIORITY = "priority", "Priority"
    SENTIMENT = "sentiment", "Sentiment"
    SUGGESTION = "suggestion", "Reply suggestion"


CLASSIFIER_TASKS = (Task.CATEGORY, Task.PRIORITY, Task.SENTIMENT)


class VersionStatus(models.TextChoices):
    """What a version does: `active` is the stable version of its task's deployment, `canary`
    the candidate of a canary / gradual rollout, `ab_test` an arm of a running A/B test other
    than the stable version, `shadow` a version predicting unseen beside live traffic."""

    REGISTERED = "registered", "Registered"
    STAGING = "staging", "Staging"
    CANARY = "canary", "Canary"
    AB_TEST = "ab_test", "In an A/B test"
    SHADOW = "shadow", "Shadow"
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    ARCHIVED = "archived", "Archived"


# Statuses only the serving services set (deploy, promote, rollback, A/B test, shadow).
SERVING_STATUSES = frozenset(
    {VersionStatus.ACTIVE, VersionStatus.CANARY, VersionStatus.AB_TEST, VersionStatus.SHADOW}
)


class VersionKind(models.TextChoices):
    TRAINED = "trained", "Trained here"
    EXTERNAL = "external", "External provider"


class DeploymentStrategy(models.TextChoices):
    FULL = "full", "Full"
    GRADUAL = "gradual", "Gradual"
    CANARY = "canary", "Canary"


class DeploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    ROLLED_BACK = "rolled_back", "Rolled back"


class ServingRole(models.TextChoices):
    """What a version does for its task's traffic right now (selectors.serving_list)."""

    STABLE = "stable", "Stable version"
    CANARY = "canary", "Canary candidate"
    GRADUAL = "gradual", "Gradual rollout candidate"
    ARM_A = "arm_a", "A/B test arm A"
    ARM_B = "arm_b", "A/B test arm B"
    SHADOW = "shadow", "Shadow (predicts unseen)"


class Outcome(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    CORRECT = "correct", "Correct"
    INCORRECT = "incorrect", "Incorrect"


class ABTestStatus(models.TextChoices):
    RUNNING = "running", "Running"
    CONCLUDED = "concluded", "Concluded"
    STOPPED = "stopped", "Stopped"


class DeploymentAction(models.TextChoices):
    REGISTER = "register", "Register"
    STATUS = "status", "Status change"
    UPDATE = "update", "Details changed"
    DEPLOY = "deploy", "Deploy"
    PROMOTE = "promote", "Promote"
    ROLLBACK = "rollback", "Roll back"
    DEPRECATE = "deprecate", "Deprecate"
    AUTO_DEPRECATE = "auto_deprecate", "Automatic deprecation"
    AB_TEST_START = "ab_test_start", "A/B test started"
    AB_TEST_CONCLUDE = "ab_test_conclude", "A/B test concluded"
    AB_TEST_STOP = "ab_test_stop", "A/B test stopped"
    GUARDRAIL = "guardrail", "Guardrail rollback"
    SHADOW_START = "shadow_start", "Shadow deployment started"
    SHADOW_END = "shadow_end", "Shadow deployment ended"


# Lifecycle: which status may follow which. Rollback may bring a deprecated version back;
# a shadow that ends goes back to staging (evaluated, ready to deploy).
_SERVE = {VersionStatus.CANARY, VersionStatus.AB_TEST, VersionStatus.SHADOW, VersionStatus.ACTIVE}
VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    VersionStatus.REGISTERED: frozenset(
        _SERVE | {VersionStatus.STAGING, VersionStatus.DEPRECATED, VersionStatus.ARCHIVED}
    ),
    VersionStatus.STAGING: frozenset(_SERVE | {VersionStatus.DEPRECATED, VersionStatus.ARCHIVED}),
    VersionStatus.CANARY: frozenset(
        {VersionStatus.ACTIVE, VersionStatus.STAGING, VersionStatus.DEPRECATED}
    ),
    VersionStatus.AB_TEST: frozenset({VersionStatus.ACTIVE, VersionStatus.DEPRECATED}),
    VersionStatus.SHADOW: frozenset(
        (_SERVE - {VersionStatus.SHADOW}) | {VersionStatus.STAGING, VersionStatus.DEPRECATED}
    ),
    VersionStatus.ACTIVE: frozenset({VersionStatus.DEPRECATED}),
    VersionStatus.DEPRECATED: frozenset(_SERVE | {VersionStatus.STAGING, VersionStatus.ARCHIVED}),
    VersionStatus.ARCHIVED: frozenset(),
}
