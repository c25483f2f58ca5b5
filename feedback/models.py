"""Feedback of a user on one AI operation (classification, suggestion or sentiment)."""

from django.conf import settings
from django.db import models

from aiops.choices import SentimentLabel
from feedback.choices import FeedbackValue, OperationType


class Feedback(models.Model):
    """One row per organization, operation and user: posting again updates it."""

    # db_index=False here and below: a composite index in Meta leads with this column, so a
    # one-column index would only cost every write on this (hot) table an extra index update.
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    operation_type = models.CharField(max_length=16, choices=OperationType.choices)
    operation_id = models.BigIntegerField()
    feedback = models.CharField(max_length=8, choices=FeedbackValue.choices)
    corrected_category = models.CharField(max_length=100, blank=True)
    corrected_sentiment = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)
    was_used = models.BooleanField(null=True, blank=True)
    was_helpful = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True)
    model_version = models.ForeignKey(
        "models_registry.ModelVersion", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    arm = models.CharField(max_length=1, blank=True, help_text="A/B arm of the operation.")
    training_pending = models.BooleanField(
        default=False,
        help_text="Changed since the examples sweep applied its vote (or took it back).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ai_feedback"
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "operation_type", "operation_id", "user"],
                name="uniq_feedback_per_user",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="fb_org_time"),
            models.Index(
                fields=["organization", "operation_type", "created_at"], name="fb_org_type_time"
            ),
            models.Index(fields=["model_version", "created_at"], name="fb_version_time"),
            # The sweep's queue: small, since the sweep empties it within seconds.
            models.Index(
                fields=["id"], name="fb_training_pending", condition=models.Q(training_pending=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback} on {self.operation_type} {self.operation_id}"
