"""The TrainingRun and RetrainPolicy pages of the console."""

from django import forms
from django.contrib import admin

from aiops.admin_base import HistoryAdmin, ServiceFormAdmin, ServiceModelForm
from models_registry.choices import CLASSIFIER_TASKS, Task
from training import estimators, models, services


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


class RetrainPolicyForm(ServiceModelForm):
    """Saved by `retrain_policy_update` when it validates: it offers only the tasks the
    service accepts, and what the service refuses shows as form errors."""

    task = forms.ChoiceField(choices=[(task, Task(task).label) for task in CLASSIFIER_TASKS])
    estimator = forms.ChoiceField(choices=[(p, p) for p in estimators.PROFILES])

    class Meta:
        model = models.RetrainPolicy
        fields = ["organization", "task", *services.POLICY_FIELDS]

    def save_through_service(self, actor):
        return services.retrain_policy_update(
            organization=self.instance.organization,
            task=self.instance.task,
            actor=actor,
            **{name: self.cleaned_data[name] for name in services.POLICY_FIELDS},
        )


@admin.register(models.RetrainPolicy)
class RetrainPolicyAdmin(ServiceFormAdmin):
    """Editable; a save goes through `retrain_policy_update` (validation, updated_by)."""

    form = RetrainPolicyForm
    list_display = [
        "organization",
        "task",
        "enabled",
        "accuracy_threshold",
        "min_new_examples",
        "interval_hours",
        "estimator",
        "on_better_candidate",
        "updated_at",
    ]
    list_filter = ["enabled", "task", "on_better_candidate", "organization"]
    readonly_fields = ["updated_by", "created_at", "updated_at"]
    list_select_related = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["organization", "task"] if obj is not None else []
        return [*fixed, *self.readonly_fields]
