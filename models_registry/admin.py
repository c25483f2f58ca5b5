from django.contrib import admin, messages

from aiops.admin_base import HistoryAdmin, ServiceFormAdmin, ServiceModelForm
from aiops.exceptions import DomainError
from models_registry import models, services
from models_registry.admin_console import ABTestConsoleMixin, ModelVersionConsoleMixin
from models_registry.choices import VersionKind


def _run(model_admin, request, queryset, verb: str, call) -> None:
    """Call a service per selected row the user may operate on (an admin of its
    organization); record each success in the admin log."""
    for obj in model_admin.writable(request, queryset):
        try:
            result = call(obj)
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", level=messages.ERROR)
            continue
        model_admin.log_change(request, obj, f"{verb} via admin action")
        model_admin.message_user(request, f"{obj}: {verb} ({result}).", level=messages.SUCCESS)


PRICE_FIELDS = ["input_price_per_1k", "output_price_per_1k"]


class ModelVersionForm(ServiceModelForm):
    """Notes, tags and (external versions') prices, saved by `model_version_update`, which
    validates them and records the old and new values in the audit trail."""

    class Meta:
        model = models.ModelVersion
        fields = ["notes", "tags", *PRICE_FIELDS]

    def save_through_service(self, actor):
        return services.model_version_update(
            version=self.instance,
            actor=actor,
            reason="Changed in the admin console.",
            **{name: self.cleaned_data[name] for name in self.changed_data},
        )


@admin.register(models.ModelVersion)
class ModelVersionAdmin(ModelVersionConsoleMixin, ServiceFormAdmin):
    """Lineage and history are read-only; notes, tags and prices change through a service
    (audited); the status changes only through the POST actions (the list's actions and the
    change page's operations, admin_console)."""

    form = ModelVersionForm
    list_display = ["__str__", "organization", "status", "kind", "estimator", "created_at"]
    list_filter = ["organization", "task", "status", "kind"]
    actions = ["promote", "promote_forced", "deprecate"]
    readonly_fields = [
        "organization",
        "task",
        "major",
        "minor",
        "patch",
        "status",
        "kind",
        "estimator",
        "provider",
        "external_model_id",
        "artifact_path",
        "artifact_sha256",
        "labels",
        "metrics",
        "params",
        "dataset_hash",
        "created_by",
        "created_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == VersionKind.EXTERNAL:
            return self.readonly_fields
        return [*self.readonly_fields, *PRICE_FIELDS]  # a version trained here has no price

    def has_add_permission(self, request):
        return False  # versions are registered by training and the API's `register`

    def has_delete_permission(self, request, obj=None):
        return False  # lineage: deprecate or archive a version, never delete it

    @admin.action(
        description="Promote: deploy fully (ends a canary / gradual rollout)",
        permissions=["operate"],
    )
    def promote(self, request, queryset):
        self._promote(request, queryset, force=False)

    @admin.action(
        description="Promote even if it measured less accurate (force)", permissions=["operate"]
    )
    def promote_forced(self, request, queryset):
        self._promote(request, queryset, force=True)

    def _promote(self, request, queryset, *, force: bool) -> None:
        _run(
            self,
            request,
            queryset,
            "promoted (forced)" if force else "promoted",
            lambda version: services.model_version_promote(
                organization=version.organization,
                task=version.task,
                version=version,
                actor=request.user,
                reason="Promoted in the admin console.",
                force=force,
            ),
        )

    @admin.action(
        description="Deprecate",
        permissions=["operate"],
    )
    def deprecate(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "deprecated",
            lambda version: (
                services.model_version_deprecate(
                    version=version, actor=request.user, reason="Deprecated in the admin console."
                ).status
            ),
        )


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
        "rollout_steps",
        "status",
        "actor",
        "created_at",
    ]
    list_filter = ["organization", "task", "status", "strategy"]
    list_select_related = ["organization", "model_version", "candidate_version", "actor"]
    actions = ["rollback"]

    @admin.action(
        description="Roll back (drop the candidate, else the previous version)",
        permissions=["operate"],
    )
    def rollback(self, request, queryset):
        _run(
            self,
            request,
            queryset.filter(status="active"),
            "rolled back",
            lambda deployment: services.deployment_rollback(
                organization=deployment.organization,
                task=deployment.task,
                actor=request.user,
                reason="Rolled back in the admin console.",
            ),
        )


@admin.register(models.ABTest)
class ABTestAdmin(ABTestConsoleMixin, HistoryAdmin):
    """Read-only; the change page shows the results (admin_console) with conclude / stop."""

    list_display = [
        "id",
        "organization",
        "task",
        "version_a",
        "version_b",
        "split_percentage",
        "status",
        "verdict",
        "winner",
        "created_at",
    ]
    list_filter = ["organization", "task", "status"]
    list_select_related = ["organization", "version_a", "version_b", "winner"]
    actions = ["conclude", "stop"]

    @admin.action(
        description="Conclude: promote the statistical winner",
        permissions=["operate"],
    )
    def conclude(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "concluded",
            lambda ab_test: (
                services.ab_test_conclude(
                    ab_test=ab_test, actor=request.user, reason="Concluded in the admin console."
                ).verdict
            ),
        )

    @admin.action(
        description="Stop without promoting",
        permissions=["operate"],
    )
    def stop(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "stopped",
            lambda ab_test: (
                services.ab_test_stop(
                    ab_test=ab_test, actor=request.user, reason="Stopped in the admin console."
                ).status
            ),
        )


@admin.register(models.DeploymentEvent)
class DeploymentEventAdmin(HistoryAdmin):
    list_display = [
        "created_at",
        "organization",
        "task",
        "action",
        "from_version",
        "to_version",
        "actor",
        "reason",
    ]
    list_filter = ["organization", "task", "action"]
    list_select_related = ["organization", "from_version", "to_version", "actor"]


@admin.register(models.ShadowDeployment)
class ShadowDeploymentAdmin(HistoryAdmin):
    list_display = ["id", "organization", "task", "model_version", "percentage", "active"]
    list_filter = ["organization", "task", "active"]
    list_select_related = ["organization", "model_version"]


@admin.register(models.InferenceLog)
class InferenceLogAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "task",
        "model_version",
        "ab_test",
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
