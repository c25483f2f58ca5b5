from django.contrib import admin

from aiops.admin_base import HistoryAdmin
from feedback.models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "user",
        "operation_type",
        "operation_id",
        "feedback",
        "corrected_category",
        "corrected_sentiment",
        "model_version",
        "arm",
        "updated_at",
    ]
    list_filter = ["organization", "operation_type", "feedback", "arm"]
    search_fields = ["comment", "corrected_category"]
    list_select_related = ["organization", "user", "model_version"]
    date_hierarchy = "created_at"
