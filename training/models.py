"""Curated training data and the training runs that turn it into model versions."""

from django.conf import settings
from django.db import models

from models_registry.choices import Task
from training.choices import ExampleSource, RunStatus, RunTrigger, ValidationStatus


class TrainingExample(models.Model):
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="training_examples"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    input_text = models.TextField()
    expected_output = models.TextField()
    source = models.CharField(max_length=16, choices=ExampleSource.choices)
    quality_score = models.FloatField(default=0.5)
    quality_parts = models.JSONField(default=dict, blank=True)
    validation_status = models.CharField(
        max_length=10, choices=ValidationStatus.choices, default=ValidationStatus.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)
    operation_type = models.CharField(max_length=16, blank=True)
    operation_id = models.BigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, help_text="sha256 of the normalised text.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ai_training_data"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task", "content_hash"], name="uniq_example_content"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "task", "validation_status"], name="ex_org_task_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.input_text[:40]} → {self.expected_output[:40]}"


class TrainingRun(models.Model):
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="training_runs"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    trigger = models.CharField(max_length=12, choices=RunTrigger.choices, default="manual")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="queued")
    progress = models.FloatField(default=0)
    example_ids = models.JSONField(default=list, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    comparison = models.JSONField(default=dict, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    model_version = models.OneToOneField(
        "models_registry.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_run",
    )
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_training_runs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "task", "-created_at"], name="run_org_task"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} {self.task} ({self.status})"
