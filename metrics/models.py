from django.db import models


class MetricRollup(models.Model):
    """One organization's inferences of one task and model version in one clock hour (UTC),
    aggregated from the inference log: rebuilt whole whenever that hour gets new rows or new
    outcomes, so it always equals an aggregation of the raw rows."""

    organization = models.ForeignKey(
        "aiops.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    task = models.CharField(max_length=16)
    model_version = models.ForeignKey(
        "models_registry.ModelVersion", on_delete=models.CASCADE, related_name="+"
    )
    hour = models.DateTimeField(help_text="Start of the hour (UTC).")
    inferences = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    incorrect = models.PositiveIntegerField(default=0)
    # Confidence: over all predictions that have one, and over those still without an outcome
    # (the label-free accuracy estimate rests on these).
    confidence_sum = models.FloatField(default=0)
    confidence_count = models.PositiveIntegerField(default=0)
    unjudged_confidence_sum = models.FloatField(default=0)
    unjudged_count = models.PositiveIntegerField(default=0)
    unjudged_expected_correct = models.FloatField(
        default=0, help_text="Their summed chance of being right (holdout-calibrated)."
    )
    latency_sum_ms = models.FloatField(default=0)
    latency_histogram = models.JSONField(default=list, help_text="Counts per fixed bucket.")
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    label_counts = models.JSONField(default=dict, help_text="Predicted label -> count.")
    confidence_bins = models.JSONField(
        default=list, help_text="Counts per decile bin of the version's holdout confidences."
    )
    used = models.PositiveIntegerField(default=0, help_text="Suggestions marked used.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ai_metric_rollups"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hour", "task", "model_version"], name="rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.hour:%Y-%m-%d %H}:00 ({self.inferences})"


class RollupWatermark(models.Model):
    """Where the rollup job got to: the hours before `closed_before` are rolled up (reads take
    the rest live), and outcomes written before `outcomes_checked_at` are in their rollups."""

    key = models.CharField(max_length=16, primary_key=True, default="inference_logs")
    closed_before = models.DateTimeField()
    outcomes_checked_at = models.DateTimeField()

    class Meta:
        db_table = "ai_metric_rollup_watermarks"

    def __str__(self) -> str:
        return f"{self.key}: hours before {self.closed_before:%Y-%m-%d %H}:00"
