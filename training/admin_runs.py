"""The TrainingRun and RetrainPolicy pages of the console."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from aiops.admin_base import (
    HistoryAdmin,
    ServiceFormAdmin,
    ServiceModelForm,
)
from aiops.charts import chart_html, graph_objects
from aiops.exceptions import DomainError
from models_registry.choices import CLASSIFIER_TASKS, Task
from training import estimators, models, services
from training.selectors import BUSY_STATUSES, retrain_policy_verdict

# The run's metrics that are not single figures: shown as their own tables and chart.
STRUCTURED_METRICS = ("per_class", "confusion_matrix", "drift_reference")
COMPARISON_FIELDS = (
    "active_version",
    "holdout_size",
    "holdout_seen_by_active",
    "comparable",
    "active_accuracy",
    "candidate_accuracy",
    "accuracy_delta",
    "active_f1_macro",
    "candidate_f1_macro",
    "active_ece",
    "candidate_ece",
    "same_as_version",
    "same_as_run",
    "reason",
)


def confusion_matrix_chart(confusion: dict):
    """The holdout's confusion matrix as a heatmap: true labels down, predicted across,
    counts written in the cells."""
    go = graph_objects()
    labels, matrix = confusion["labels"], confusion["matrix"]
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            text=matrix,
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate="true %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
        )
    )
    figure.update_layout(title="Confusion matrix (holdout)")
    figure.update_xaxes(title_text="predicted", type="category")
    figure.update_yaxes(title_text="true", type="category", autorange="reversed")
    height = max(360, 200 + 30 * len(labels))  # room for the rotated predicted labels
    return chart_html(figure, chart_id="confusion-matrix", height=height)


@admin.register(models.TrainingRun)
class TrainingRunAdmin(HistoryAdmin):
    """Read-only: a run's metrics, per-class table, confusion matrix, its comparison with the
    active version and, while queued or running, its progress (the page polls `progress/`)."""

    change_form_template = "admin/training/trainingrun/change_form.html"
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
    fields = [
        "organization",
        "task",
        "trigger",
        "status",
        "progress",
        "error",
        "model_version",
        "unchanged",
        "requested_by",
        "params",
        "dataset_hash",
        "examples",
        "label_noise_summary",
        "duration_s",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description="examples (snapshot / fit)")
    def examples(self, obj):
        return f"{len(obj.example_ids)} / {len(obj.fit_example_ids)}"

    @admin.display(description="label noise")
    def label_noise_summary(self, obj):
        noise = obj.label_noise or {}
        if not noise:
            return "—"
        return (
            f"{noise.get('flagged', 0)} flagged of {noise.get('checked', 0)} checked, "
            f"{noise.get('excluded', 0)} left out of the fit ({noise.get('action', '')})"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context = {**(extra_context or {}), **self.report_context(run)}
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def report_context(run) -> dict:
        metrics = run.metrics or {}
        comparison = run.comparison or {}
        confusion = metrics.get("confusion_matrix")
        return {
            "run_metrics": [(k, v) for k, v in metrics.items() if k not in STRUCTURED_METRICS],
            "run_per_class": sorted((metrics.get("per_class") or {}).items()),
            "confusion_chart": confusion_matrix_chart(confusion)
            if confusion and confusion.get("labels")
            else None,
            "run_comparison": [(k, comparison[k]) for k in COMPARISON_FIELDS if k in comparison],
            "candidate_action": comparison.get("candidate_action"),
            "run_busy": run.status in BUSY_STATUSES,
        }

    def get_urls(self):
        progress = self.admin_site.admin_view(self.progress_view)
        return [
            path("<int:pk>/progress/", progress, name="training_trainingrun_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk: int):
        """What the run page polls while the run is queued or running."""
        run = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, run):
            return JsonResponse({"error": "forbidden"}, status=403)
        return JsonResponse(
            {
                "status": run.status,
                "progress": run.progress,
                "finished": run.status not in BUSY_STATUSES,
            }
        )


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
    """Editable by the organization's admins; a save goes through `retrain_policy_update`
    (validation, updated_by). Each page and row says whether the periodic check would retrain
    now and why (`retrain_policy_verdict`); "Retrain now" queues a manual run."""

    form = RetrainPolicyForm
    change_form_template = "admin/training/retrainpolicy/change_form.html"
    list_display = [
        "organization",
        "task",
        "enabled",
        "would_retrain",
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

    @admin.display(description="would retrain now")
    def would_retrain(self, obj):
        verdict = retrain_policy_verdict(policy=obj)
        if verdict.retrain:
            triggers = ", ".join(reason.trigger for reason in verdict.reasons)
            return format_html(
                '<span class="would-retrain" data-retrain="true">yes: {}</span>', triggers
            )
        note = "blocked" if verdict.blocked else "no"
        return format_html('<span class="would-retrain" data-retrain="false">{}</span>', note)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy = self.get_object(request, object_id)
        if policy is not None:
            extra_context = {
                **(extra_context or {}),
                "verdict": retrain_policy_verdict(policy=policy),
                "can_retrain": self.may_write(request, policy),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        retrain = self.admin_site.admin_view(require_POST(self.retrain_view))
        return [
            path("<int:pk>/retrain/", retrain, name="training_retrainpolicy_retrain"),
            *super().get_urls(),
        ]

    def retrain_view(self, request, pk: int):
        """Queue a manual run of the policy's task now (the API's `train` action)."""
        policy = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.may_write(request, policy):  # an admin of its organization
            raise PermissionDenied("Retraining needs an admin of the policy's organization.")
        page = reverse("admin:training_retrainpolicy_change", args=[policy.pk])
        try:
            run = services.training_run_create(
                organization=policy.organization,
                task=policy.task,
                params={"estimator": policy.estimator},
                actor=request.user,
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(page)
        self.log_change(request, policy, f"Queued training run {run.pk} (manual)")
        self.message_user(request, f"Queued training run {run.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:training_trainingrun_change", args=[run.pk]))
