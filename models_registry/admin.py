from django.contrib import admin

from aiops.admin_base import HistoryAdmin
from models_registry import models


@admin.register(models.ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "status", "kind", "estimator", "created_at"]
    list_filter = ["organization", "task", "status", "kind"]
    readonly_fields = [
        "organization",
        "task",
        "major",
        "minor",
        "patch",
        "status",
        "kind",
        "artifact_path",
        "artifact_sha256",
        "labels",
        "metrics",
        "params",
        "dataset_hash",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(models.Deployment)
class DeploymentAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "task",
        "strategy",
        "model_version",
        "candidate_version",
        "candidate_percentage",
        "status",
        "actor",
        "created_at",
    ]
    list_filter = ["organization", "task", "status", "strategy"]
    list_select_related = ["organization", "model_version", "candidate_version", "actor"]


@admin.register(models.InferenceLog)
class InferenceLogAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "task",
        "model_version",
        "arm",
        "predicted_label",
        "confidence",
        "latency_ms",
        "outcome",
        "created_at",
    ]
    list_filter = ["organization", "task", "outcome", "success"]
    list_select_related = ["organization", "model_version"]
    show_full_result_count = False
