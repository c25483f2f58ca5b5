from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from aiops.admin_base import (
    HistoryAdmin,
    console_check,
    console_organization_ids,
    console_organizations,
)
from aiops.exceptions import DomainError
from feedback import selectors
from feedback.models import Feedback
from feedback.services import LabelQueueSubmission, label_queue_submit
from models_registry.models import InferenceLog

QUEUE_FILTERS = ("organization", "task")


def _labelled_message(log: InferenceLog, done: LabelQueueSubmission) -> str:
    """What the success message and the admin log say about a label."""
    label = done.inference_log.true_label
    verdict = "correct" if done.correct else f"wrong (it said {log.predicted_label!r})"
    example = done.example
    status = example.validation_status
    if example.disputed and example.expected_output != label:
        status += f", disputed: it keeps its trusted label {example.expected_output!r} for now"
    return (
        f"Labelled {log.task} prediction {log.pk} as {label!r}: the model was {verdict}; "
        f"training example {example.pk} ({status})."
    )


@admin.register(Feedback)
class FeedbackAdmin(HistoryAdmin):
    """Feedback is history (read-only). Beside it, the "label these" queue: unjudged
    predictions ranked by expected gain (feedback.ranking), each labelled by a POST that calls
    label_queue_submit and is recorded in the admin log as a change of the inference log."""

    change_list_template = "admin/feedback/feedback/change_list.html"
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

    def get_urls(self):
        queue = self.admin_site.admin_view(self.label_queue_view)
        label = self.admin_site.admin_view(require_POST(self.label_queue_label_view))
        return [
            path("label-queue/", queue, name="feedback_label_queue"),
            path("label-queue/<int:log_id>/label/", label, name="feedback_label_queue_label"),
            *super().get_urls(),
        ]

    def _queue_organization_ids(self, request) -> set[int] | None:
        """403 unless the user reviews for some organization (a reviewer or an admin)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        ids = console_organization_ids(request)
        if ids is not None and not ids:
            raise PermissionDenied("The label queue is for reviewers and admins.")
        return ids

    def _queue_scope(self, request) -> set[int] | None:
        """The organizations whose queue this user works; the `organization` filter narrows
        it (403 for one not theirs)."""
        ids = self._queue_organization_ids(request)
        chosen = request.GET.get("organization", "")
        if chosen.isdecimal():
            console_check(request, int(chosen))
            return {int(chosen)}
        return ids

    @staticmethod
    def _queue_query(request) -> str:
        return urlencode({k: request.GET[k] for k in QUEUE_FILTERS if request.GET.get(k)})

    def label_queue_view(self, request):
        ids = self._queue_scope(request)
        task = request.GET.get("task") or None
        if task not in (None, *selectors.LABEL_QUEUE_TASKS):
            self.message_user(
                request, f"Unknown task {task!r}: showing every task.", messages.ERROR
            )
            task = None
        rows = selectors.label_queue(organization_ids=ids, task=task)
        context = {
            **self.admin_site.each_context(request),
            "title": "Label these: predictions most worth a review",
            "opts": self.model._meta,
            "rows": rows,
            "query": self._queue_query(request),
            "organizations": console_organizations(request),
            "tasks": selectors.LABEL_QUEUE_TASKS,
            "chosen_organization": request.GET.get("organization", ""),
            "chosen_task": task or "",
            "window_days": selectors.LABEL_QUEUE_WINDOW.days,
            "error_window_days": selectors.LABEL_QUEUE_ERROR_WINDOW.days,
            "limit": selectors.LABEL_QUEUE_LIMIT,
        }
        return TemplateResponse(request, "admin/feedback/label_queue.html", context)

    def label_queue_label_view(self, request, log_id: int):
        ids = self._queue_organization_ids(request)
        logs = InferenceLog.objects.select_related("organization")
        log = get_object_or_404(
            logs if ids is None else logs.filter(organization_id__in=ids), pk=log_id
        )
        try:
            done = label_queue_submit(
                organization=log.organization,
                inference_log_id=log.pk,
                label=request.POST.get("label", ""),
                actor=request.user,
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            message = _labelled_message(log, done)
            self.log_change(request, done.inference_log, message)
            self.message_user(request, message, messages.SUCCESS)
        url = reverse("admin:feedback_label_queue")
        query = self._queue_query(request)
        return HttpResponseRedirect(f"{url}?{query}" if query else url)
