"""The registry's console pages: a model version's page (metrics, lineage, live figures,
history) with its POST-only operations (deploy, roll back, deprecate, start an A/B test,
start / end a shadow), and the A/B test page with its results, conclude and stop.

Each operation: POST only, the object from the admin's scoped queryset (another
organization's: 404), Role.ADMIN in its organization (else 403), one service call, the
admin log on success, a message either way (a service's refusal is an error message,
never a 500), then back to the page."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from aiops.exceptions import DomainError
from models_registry import selectors, services
from models_registry.admin_forms import (
    ABStartForm,
    ConcludeForm,
    DeployForm,
    ReasonForm,
    ShadowStartForm,
    reason_or,
)
from models_registry.choices import ABTestStatus, DeploymentStrategy


class ConsoleActionsMixin:
    """POST-only operations on one object of a ModelAdmin (`console_actions`: url part ->
    method name, each method(request, obj) -> (log message, success message))."""

    console_actions: dict[str, str] = {}

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                f"<path:object_id>/{part}/",
                self.admin_site.admin_view(require_POST(self._console_view(method))),
                name="{}_{}_{}".format(*info, part.replace("-", "_")),
            )
            for part, method in self.console_actions.items()
        ]
        return [*own, *super().get_urls()]

    def _console_view(self, method_name: str):
        def view(request, object_id):
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                raise Http404("No such object in your organizations.")
            # viewing it, and an admin of its organization (the admin's write_roles)
            if not self.has_view_or_change_permission(request, obj):
                raise PermissionDenied
            if not self.may_write(request, obj):
                raise PermissionDenied("Model operations need an admin of its organization.")
            try:
                logged, shown = getattr(self, method_name)(request, obj)
            except forms.ValidationError as error:
                self.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
            except DomainError as error:
                self.message_user(request, f"{obj}: {error.message}", messages.ERROR)
            else:
                self.log_change(request, obj, logged)
                self.message_user(request, f"{obj}: {shown}", messages.SUCCESS)
            info = self.opts.app_label, self.opts.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))

        view.__name__ = f"console_{method_name}"
        return view

    @staticmethod
    def valid(form_class, request) -> dict:
        form = form_class(request.POST)
        if not form.is_valid():
            raise forms.ValidationError(
                [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
            )
        return form.cleaned_data


class ModelVersionConsoleMixin(ConsoleActionsMixin):
    console_actions = {
        "deploy": "console_deploy",
        "rollback": "console_rollback",
        "deprecate": "console_deprecate",
        "ab-start": "console_ab_start",
        "shadow-start": "console_shadow_start",
        "shadow-end": "console_shadow_end",
    }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, unquote(object_id))
        if version is not None:
            extra_context = {
                **(extra_context or {}),
                "console": selectors.model_version_console(version=version),
                "may_operate": self.may_write(request, version),
                "strategies": DeploymentStrategy.choices,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def console_deploy(self, request, version):
        data = self.valid(DeployForm, request)
        strategy = data["strategy"]
        deployment = services.model_version_deploy(
            model_version=version,
            strategy=strategy,
            percentage=data["percentage"] if strategy != DeploymentStrategy.FULL else None,
            steps=data["steps"] or None,
            step_minutes=data["step_minutes"],
            actor=request.user,
            reason=reason_or(data, "Deployed in the admin console."),
        )
        how = (
            strategy
            if strategy == DeploymentStrategy.FULL
            else f"{strategy} {deployment.candidate_percentage:g}%"
        )
        if deployment.rollout_steps:
            steps = ", ".join(f"{step:g}%" for step in deployment.rollout_steps)
            how += f", then {steps} every {deployment.rollout_step_minutes} min"
        message = f"Deployed ({how}): deployment {deployment.pk}."
        return message, message

    def console_rollback(self, request, version):
        data = self.valid(ReasonForm, request)
        deployment = services.deployment_rollback(
            organization=version.organization,
            task=version.task,
            actor=request.user,
            reason=reason_or(data, "Rolled back in the admin console."),
        )
        message = (
            f"Rolled back the {version.task} deployment: {deployment.model_version.version} "
            f"serves (deployment {deployment.pk})."
        )
        return message, message

    def console_deprecate(self, request, version):
        data = self.valid(ReasonForm, request)
        services.model_version_deprecate(
            version=version,
            actor=request.user,
            reason=reason_or(data, "Deprecated in the admin console."),
        )
        return "Deprecated.", "deprecated."

    def console_ab_start(self, request, version):
        data = self.valid(ABStartForm, request)
        current = selectors.deployment_get_active(
            organization=version.organization, task=version.task
        )
        if current is None:
            raise forms.ValidationError(
                f"Nothing serves {version.task}: deploy a version before an A/B test against it."
            )
        ab_test = services.ab_test_start(
            version_a=current.model_version,
            version_b=version,
            split_percentage=data["split_percentage"],
            minimum_detectable_effect=data["minimum_detectable_effect"],
            actor=request.user,
            reason=reason_or(data, "Started in the admin console."),
            a_is_stable=True,
        )
        message = (
            f"A/B test {ab_test.pk} started: A = {ab_test.version_a.version}, "
            f"B = {version.version} on {ab_test.split_percentage:g}% of the traffic."
        )
        return message, message

    def console_shadow_start(self, request, version):
        data = self.valid(ShadowStartForm, request)
        shadow = services.shadow_start(
            model_version=version,
            percentage=data["percentage"],
            actor=request.user,
            reason=reason_or(data, "Started in the admin console."),
        )
        message = f"Shadow {shadow.pk} started on {shadow.percentage:g}% of the traffic."
        return message, message

    def console_shadow_end(self, request, version):
        data = self.valid(ReasonForm, request)
        shadow = services.shadow_end(
            organization=version.organization,
            task=version.task,
            actor=request.user,
            reason=reason_or(data, "Ended in the admin console."),
        )
        message = f"Shadow {shadow.pk} of {shadow.model_version.version} ended."
        return message, message


def ab_interval_chart(summary: dict):
    """Each arm's accuracy with its Wilson interval (plotly is imported on first use)."""
    from aiops.charts import chart_html, graph_objects

    go = graph_objects()
    arms = [arm for arm in summary["arms"] if arm["accuracy_pct"] is not None]
    if not arms:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[arm["accuracy_pct"] for arm in arms],
            y=[f"{arm['arm']} ({arm['version'].version})" for arm in arms],
            mode="markers",
            marker={"size": 12},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [arm["interval_pct"][1] - arm["accuracy_pct"] for arm in arms],
                "arrayminus": [arm["accuracy_pct"] - arm["interval_pct"][0] for arm in arms],
            },
        )
    )
    figure.update_layout(
        title="Accuracy per arm with its 95% Wilson interval",
        xaxis={"title": "accuracy (%)", "range": [0, 100]},
    )
    return chart_html(figure, chart_id="ab-intervals", height=240)


class ABTestConsoleMixin(ConsoleActionsMixin):
    console_actions = {"conclude": "console_conclude", "stop": "console_stop"}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ab_test = self.get_object(request, unquote(object_id))
        if ab_test is not None:
            running = ab_test.status == ABTestStatus.RUNNING
            # A finished test shows what it ended on, as stored.
            results = (
                ab_test.result
                if not running and ab_test.result
                else services.ab_test_results(ab_test=ab_test)
            )
            summary = selectors.ab_test_summary(ab_test=ab_test, results=results)
            extra_context = {
                **(extra_context or {}),
                "ab": summary,
                "ab_running": running,
                "ab_chart": ab_interval_chart(summary),
                "may_operate": self.may_write(request, ab_test),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def console_conclude(self, request, ab_test):
        data = self.valid(ConcludeForm, request)
        ab_test = services.ab_test_conclude(
            ab_test=ab_test,
            actor=request.user,
            reason=data["reason"],
            winner=data["winner"] or None,
            force=data["force"],
        )
        message = f"Concluded ({ab_test.verdict}): {ab_test.winner.version} promoted."
        return message, message

    def console_stop(self, request, ab_test):
        data = self.valid(ReasonForm, request)
        services.ab_test_stop(
            ab_test=ab_test,
            actor=request.user,
            reason=reason_or(data, "Stopped in the admin console."),
        )
        return "Stopped without promoting.", "stopped without promoting anything."
