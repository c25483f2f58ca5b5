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
