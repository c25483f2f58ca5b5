"""Curated training data and the training runs that turn it into model versions."""

from django.conf import settings
from django.db import models

from models_registry.choices import Task
from training.choices import (
    CandidateAction,
    ExampleEventAction,
    ExampleSource,
    LabelNoiseAction,
    RunStatus,
    RunTrigger,
    ValidationStatus,
)


class TrainingExample(models.Model):
    # db_index=False: the unique (organization, task, content_hash) and the Meta indexes lead
    # with it, so a one-column index would only cost every write an extra index update.
    organization = models.ForeignKey(
        "aiops.Organization",
        on_delete=models.CASCADE,
        related_name="training_examples",
        db_index=False,
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
    approved_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last became approved (by review or auto)."
    )
    operation_type = models.CharField(max_length=16, blank=True)
    operation_id = models.BigIntegerField(null=True, blank=True)
    feedback_id = models.BigIntegerField(null=True, blank=True)
    label_votes = models.JSONField(
        default=dict, blank=True, help_text="Label → how many votes it has (from operation_votes)."
    )
    operation_votes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Each voter ('feedback:id', 'import:', 'review:', 'user:id', ...) → "
        '{"label", "source"}: one vote per voter, so a changed vote replaces.',
    )
    disputed = models.BooleanField(
        default=False,
        help_text="A vote disagrees with this trusted label; it stands until a reviewer decides.",
    )
    noise_flag = models.BooleanField(
        default=False, help_text="Label-noise detection suspects this label."
    )
    suggested_label = models.TextField(blank=True)
    label_quality = models.FloatField(
        null=True, blank=True, help_text="Out-of-fold probability of the given label."
    )
    noise_checked_at = models.DateTimeField(null=True, blank=True)
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
        # (organization, task, validation_status) queries use this one's prefix.
        indexes = [
            models.Index(
                fields=["organization", "task", "validation_status", "approved_at"],
                name="ex_org_task_approved",
            ),
            # The disputed examples of an organization, oldest first: the head of the review
            # queue. Partial: disputes are few, and settled ones leave the index.
            models.Index(
                fields=["organization", "created_at"],
                condition=models.Q(disputed=True),
                name="ex_org_disputed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.input_text[:40]} → {self.expected_output[:40]}"


class TrainingExampleEvent(models.Model):
    """The audit trail of an example: creation, merges, and every review decision."""

    example = models.ForeignKey(TrainingExample, on_delete=models.CASCADE, related_name="events")
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=10, choices=ExampleEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=16, blank=True)
    from_label = models.TextField(blank=True)
    to_label = models.TextField(blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_training_data_events"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} example {self.example_id}"


class TrainingRun(models.Model):
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="training_runs"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    trigger = models.CharField(max_length=12, choices=RunTrigger.choices, default="manual")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="queued")
    progress = models.FloatField(default=0)
    example_ids = models.JSONField(default=list, blank=True)
    fit_example_ids = models.JSONField(
        default=list,
        blank=True,
        help_text="The snapshot examples the model was fit on (the rest it never saw).",
    )
    dataset_hash = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    comparison = models.JSONField(default=dict, blank=True)
    label_noise = models.JSONField(
        default=dict,
        blank=True,
        help_text="Label-noise detection on the snapshot: counts, flagged and excluded ids.",
    )
    unchanged = models.BooleanField(
        default=False,
        help_text="Snapshot and parameters equal the active or latest version's: nothing was fit "
        "or registered.",
    )
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
            # The reaper's "was a queued run overtaken" look-up, across organizations.
            models.Index(fields=["created_at"], name="run_created"),
        ]
        constraints = [
            # The database-level guard behind "one run at a time per org and task".
            models.UniqueConstraint(
                fields=["organization", "task"],
                condition=models.Q(status__in=["queued", "running"]),
                name="uniq_active_training_run",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} {self.task} ({self.status})"


class RetrainPolicy(models.Model):
    """When to retrain an org's task, and what to do with a candidate that beats the active one."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="retrain_policies"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    enabled = models.BooleanField(default=True, help_text="Automatic triggers on or off.")
    accuracy_threshold = models.FloatField(
        default=0.95, help_text="Retrain when accuracy over the window falls below this."
    )
    accuracy_window_hours = models.PositiveIntegerField(default=24)
    accuracy_min_samples = models.PositiveIntegerField(
        default=50, help_text="Judged predictions needed in the window before accuracy counts."
    )
    min_new_examples = models.PositiveIntegerField(
        default=1000, help_text="New validated examples since the last run that trigger one."
    )
    interval_hours = models.PositiveIntegerField(
        default=24, help_text="Retrain after this long since the last run, if there is new data."
    )
    estimator = models.CharField(max_length=16, default="fast")
    on_better_candidate = models.CharField(
        max_length=8, choices=CandidateAction.choices, default=CandidateAction.NOTHING
    )
    candidate_percentage = models.FloatField(
        default=10, help_text="Traffic share of the canary, or the B arm of an A/B test."
    )
    min_improvement = models.FloatField(
        default=0.0, help_text="Holdout accuracy gain over the active version that counts."
    )
    label_noise_action = models.CharField(
        max_length=8,
        choices=LabelNoiseAction.choices,
        default=LabelNoiseAction.EXCLUDE,
        help_text="What a run does with examples label-noise detection flags in its snapshot.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ai_retrain_policies"
        verbose_name_plural = "retrain policies"
        constraints = [
            models.UniqueConstraint(fields=["organization", "task"], name="uniq_retrain_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.task} retrain policy"
