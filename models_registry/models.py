"""Model versions, their deployments and the inference log (the one fact table of predictions)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from models_registry.choices import (
    ABTestStatus,
    DeploymentAction,
    DeploymentStatus,
    DeploymentStrategy,
    Outcome,
    Task,
    VersionKind,
    VersionStatus,
)


class ModelVersion(models.Model):
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="model_versions"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=VersionStatus.choices, default=VersionStatus.REGISTERED
    )
    kind = models.CharField(max_length=10, choices=VersionKind.choices, default="trained")
    estimator = models.CharField(max_length=32, blank=True, help_text="Estimator profile.")
    provider = models.CharField(max_length=64, blank=True)
    external_model_id = models.CharField(max_length=128, blank=True)
    input_price_per_1k = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    output_price_per_1k = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    artifact_path = models.CharField(max_length=500, blank=True)
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    labels = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_model_versions"
        ordering = ["organization", "task", "-major", "-minor", "-patch"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task", "major", "minor", "patch"],
                name="uniq_model_version",
            ),
        ]
        indexes = [models.Index(fields=["organization", "task", "status"], name="mv_org_task")]

    def __str__(self) -> str:
        return f"{self.task} {self.version}"

    @property
    def version(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


class Deployment(models.Model):
    """The routing state of one org's task: a stable version and optionally a candidate
    (canary or gradual rollout) taking `candidate_percentage` of the traffic. Exactly one
    row per org and task is active; every change supersedes it with a new row (the history)."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="deployments"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    strategy = models.CharField(
        max_length=8, choices=DeploymentStrategy.choices, default=DeploymentStrategy.FULL
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    candidate_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidate_percentage = models.FloatField(default=0)
    # A gradual rollout on a schedule: the candidate percentages still to come, each taken
    # `rollout_step_minutes` after the step before (100 promotes). Empty: stepped by hand.
    rollout_steps = models.JSONField(default=list, blank=True)
    rollout_step_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=DeploymentStatus.choices, default=DeploymentStatus.ACTIVE
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_model_deployments"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task"],
                condition=models.Q(status="active"),
                name="uniq_active_deployment",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "task", "created_at"], name="dep_org_task_time")
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.model_version.version} ({self.status})"

    @property
    def next_step_at(self) -> datetime | None:
        """When a scheduled rollout's next step is due (beat takes it on its next run)."""
        if not self.rollout_steps or self.rollout_step_minutes is None:
            return None
        return self.created_at + timedelta(minutes=self.rollout_step_minutes)


class InferenceLog(models.Model):
    """Every prediction, local or external, and its outcome once feedback arrives."""

    # db_index=False here and below: a composite index in Meta leads with this column, so a
    # one-column index would only cost every write on this (hot) table an extra index update.
    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ab_test = models.ForeignKey(
        "ABTest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    arm = models.CharField(max_length=1, blank=True, help_text="A/B arm (A or B), if any.")
    unit_id = models.CharField(max_length=64, blank=True, help_text="Routing unit (ticket).")
    predicted_label = models.CharField(max_length=200, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    latency_ms = models.FloatField()
    success = models.BooleanField(default=True)
    error = models.TextField(blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.UNKNOWN)
    true_label = models.CharField(max_length=200, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_inference_logs"
        indexes = [
            models.Index(fields=["organization", "task", "created_at"], name="il_org_task_time"),
            models.Index(fields=["model_version", "created_at"], name="il_version_time"),
            models.Index(fields=["ab_test", "arm", "outcome"], name="il_abtest_arm_outcome"),
            # The metrics rollup job's "outcomes written since": only rows with feedback.
            models.Index(
                fields=["outcome_at"],
                name="il_outcome_at",
                condition=models.Q(outcome_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.predicted_label} ({self.latency_ms:.1f} ms)"


class ABTest(models.Model):
    """Two versions of one org's task splitting traffic by a sticky hash with their own salt;
    arm B takes `split_percentage` % of the units."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="ab_tests"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    version_a = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    version_b = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    split_percentage = models.FloatField(default=50, help_text="Share of units for arm B.")
    salt = models.CharField(max_length=40)
    minimum_detectable_effect = models.FloatField(default=0.05)
    baseline_rate = models.FloatField(default=0.5)
    minimum_sample_size = models.PositiveIntegerField(help_text="Judged outcomes per arm.")
    status = models.CharField(
        max_length=10, choices=ABTestStatus.choices, default=ABTestStatus.RUNNING
    )
    winner = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=32, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Results when it ended.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_ab_tests"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task"],
                condition=models.Q(status="running"),
                name="uniq_running_ab_test",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "task", "status"], name="ab_org_task_status")
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.version_a.version} vs {self.version_b.version}"


class DeploymentEvent(models.Model):
    """The audit trail: every change of what serves, and of a version's lifecycle."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    action = models.CharField(max_length=20, choices=DeploymentAction.choices)
    from_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    ab_test = models.ForeignKey(
        ABTest, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_model_deployment_events"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "task", "created_at"], name="dev_org_task_time")
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.action} ({self.created_at:%Y-%m-%d %H:%M})"


class ShadowDeployment(models.Model):
    """A candidate that predicts on a sticky share of live traffic without its answer being
    returned; its predictions are compared with the live ones and with later feedback."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+"
    )
    task = models.CharField(max_length=16, choices=Task.choices)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    percentage = models.FloatField(default=100)
    salt = models.CharField(max_length=40)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_model_shadows"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "task"],
                condition=models.Q(active=True),
                name="uniq_active_shadow",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}: shadow {self.model_version.version}"


class ShadowPrediction(models.Model):
    """What the shadow version answered for one live prediction (its inference log)."""

    shadow = models.ForeignKey(
        ShadowDeployment, on_delete=models.CASCADE, related_name="predictions"
    )
    inference_log = models.OneToOneField(
        InferenceLog, on_delete=models.CASCADE, related_name="shadow_prediction"
    )
    predicted_label = models.CharField(max_length=200)
    confidence = models.FloatField(null=True, blank=True)
    latency_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_model_shadow_predictions"

    def __str__(self) -> str:
        return f"shadow {self.predicted_label}"
