from django.db import models


class Task(models.TextChoices):
    CATEGORY = "category", "Category"
    PRIORITY = "priority", "Priority"
    SENTIMENT = "sentiment", "Sentiment"
    SUGGESTION = "suggestion", "Reply suggestion"


CLASSIFIER_TASKS = (Task.CATEGORY, Task.PRIORITY, Task.SENTIMENT)


class VersionStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    STAGING = "staging", "Staging"
    CANARY = "canary", "Canary"
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    ARCHIVED = "archived", "Archived"


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


# Lifecycle: which status may follow which. Rollback may bring a deprecated version back.
VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    VersionStatus.REGISTERED: frozenset(
        {VersionStatus.STAGING, VersionStatus.CANARY, VersionStatus.ACTIVE}
        | {VersionStatus.DEPRECATED, VersionStatus.ARCHIVED}
    ),
    VersionStatus.STAGING: frozenset(
        {VersionStatus.CANARY, VersionStatus.ACTIVE, VersionStatus.DEPRECATED}
        | {VersionStatus.ARCHIVED}
    ),
    VersionStatus.CANARY: frozenset(
        {VersionStatus.ACTIVE, VersionStatus.STAGING, VersionStatus.DEPRECATED}
    ),
    VersionStatus.ACTIVE: frozenset({VersionStatus.DEPRECATED}),
    VersionStatus.DEPRECATED: frozenset(
        {VersionStatus.ACTIVE, VersionStatus.CANARY, VersionStatus.STAGING}
        | {VersionStatus.ARCHIVED}
    ),
    VersionStatus.ARCHIVED: frozenset(),
}
