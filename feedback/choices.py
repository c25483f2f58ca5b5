from django.db import models

from models_registry.choices import Task


class OperationType(models.TextChoices):
    CLASSIFICATION = "classification", "Classification"
    SUGGESTION = "suggestion", "Suggestion"
    SENTIMENT = "sentiment", "Sentiment"


# The registry task whose inference logs an operation type's predictions live in.
OPERATION_TASK: dict[str, str] = {
    OperationType.CLASSIFICATION: Task.CATEGORY,
    OperationType.SUGGESTION: Task.SUGGESTION,
    OperationType.SENTIMENT: Task.SENTIMENT,
}


class FeedbackValue(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"


class Period(models.TextChoices):
    """The bucket of the statistics timeline; `all` is one bucket over the whole range."""

    HOUR = "hour", "Hour"
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    ALL = "all", "All time"
