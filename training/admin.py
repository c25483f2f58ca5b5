from django.contrib import admin

from aiops.admin_base import HistoryAdmin
from training import models


@admin.register(models.TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "organization",
        "task",
        "expected_output",
        "source",
        "quality_score",
        "validation_status",
        "created_at",
    ]
    list_filter = ["organization", "task", "validation_status", "source"]
    search_fields = ["input_text", "expected_output"]
    readonly_fields = [
        "content_hash",
        "quality_score",
        "quality_parts",
        "reviewer",
        "reviewed_at",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["organization"]


@admin.register(models.TrainingRun)
class TrainingRunAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "task",
        "trigger",
        "status",
        "progress",
        "model_version",
        "duration_s",
        "created_at",
    ]
    list_filter = ["organization", "task", "status", "trigger"]
    list_select_related = ["organization", "model_version"]
