from collections import defaultdict

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from aiops.admin_base import (
    OrganizationScopedAdmin,
)
from aiops.exceptions import DomainError
from training import models, services
from training.choices import ReviewDecision
from training.labels import task_label_set
from training.selectors import training_example_review_queue


class TrainingExampleEventInline(admin.TabularInline):
    model = models.TrainingExampleEvent
    fields = ["created_at", "action", "actor", "source", "from_label", "to_label", "notes"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.TrainingExample)
class TrainingExampleAdmin(OrganizationScopedAdmin):
    """The review queue: disputed examples first (votes against a trusted label), then
    suspected label noise, then lowest label quality. Decisions are POST-only actions (or the
    form on an example's page, which offers the task's labels) that call the review services,
    settle a dispute and are recorded in the admin log and in the example's events."""

    change_form_template = "admin/training/trainingexample/change_form.html"
    list_display = [
        "id",
        "organization",
        "task",
        "short_text",
        "expected_output",
        "disputed",
        "noise_flag",
        "suggested_label",
        "label_quality",
        "quality_score",
        "source",
        "validation_status",
        "created_at",
    ]
    list_filter = ["disputed", "noise_flag", "validation_status", "organization", "task", "source"]
    search_fields = ["input_text", "expected_output"]
    readonly_fields = [
        "organization",
        "task",
        "input_text",
        "expected_output",
        "source",
        "validation_status",
        "quality_score",
        "quality_parts",
        "disputed",
        "label_votes",
        "votes",
        "noise_flag",
        "suggested_label",
        "label_quality",
        "noise_checked_at",
        "reviewer",
        "reviewed_at",
        "review_notes",
        "approved_at",
        "operation_type",
        "operation_id",
        "feedback_id",
        "content_hash",
        "created_at",
        "updated_at",
    ]
    exclude = ["operation_votes"]  # shown as `votes`
    list_select_related = ["organization"]
    inlines = [TrainingExampleEventInline]
    actions = ["approve", "reject", "accept_suggestion"]

    def has_add_permission(self, request):
        return False  # examples come from feedback, imports and the API's services

    def get_queryset(self, request):
        # every example (the status filter shows rejected ones too), in queue order
        queue = training_example_review_queue(include_rejected=True)
        return queue.select_related("organization")

    def save_model(self, request, obj, form, change):
        # Every field is read-only (decisions go through the review services): never write
        # back the whole row, which could undo a concurrent vote.
        pass

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.input_text[:80]

    @admin.display(description="votes (voter: label, source)")
    def votes(self, obj):
        return (
            format_html_join(
                mark_safe("<br>"),
                "{}: {} ({})",
                (
                    (voter, vote["label"], vote["source"])
                    for voter, vote in (obj.operation_votes or {}).items()
                ),
            )
            or "—"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        example = self.get_object(request, object_id)
        if example is not None:
            labels = task_label_set(organization=example.organization, task=example.task)
            extra_context = {**(extra_context or {}), "valid_labels": labels}
        return super().change_view(request, object_id, form_url, extra_context)

    def _review(self, request, queryset, decision: str, *, label_of=None, notes: str = ""):
        by_org_label = defaultdict(list)
        for example in queryset.select_related("organization"):
            label = label_of(example) if label_of else ""
            if label_of and not label:
                continue
            by_org_label[(example.organization, label)].append(example.pk)
        done = 0
        for (organization, label), ids in by_org_label.items():
            try:
                examples = services.training_examples_review(
                    organization=organization,
                    example_ids=ids,
                    decision=decision,
                    actor=request.user,
                    label=label,
                    notes=notes,
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            for example in examples:
                self.log_change(request, example, self._log_message(decision, example))
            done += len(examples)
        self.message_user(request, f"{decision.title()}: {done} example(s).", messages.SUCCESS)

    @staticmethod
    def _log_message(decision: str, example) -> str:
        if decision == ReviewDecision.RELABEL:
            return f"Relabeled to {example.expected_output!r}"
        return {"approve": "Approved", "reject": "Rejected"}[decision]

    @admin.action(description="Approve selected examples")
    def approve(self, request, queryset):
        self._review(request, queryset, ReviewDecision.APPROVE)

    @admin.action(description="Reject selected examples")
    def reject(self, request, queryset):
        self._review(request, queryset, ReviewDecision.REJECT)

    @admin.action(description="Relabel selected examples to their suggested label")
    def accept_suggestion(self, request, queryset):
        self._review(
            request,
            queryset,
            ReviewDecision.RELABEL,
            label_of=lambda example: example.suggested_label,
            notes="Accepted the label-noise suggestion",
        )

    def get_urls(self):
        review = self.admin_site.admin_view(require_POST(self.review_view))
        return [
            path(
                "<int:pk>/review/",
                review,
                name="training_trainingexample_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, pk: int):
        example = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, example):
            return HttpResponseRedirect(reverse("admin:index"))
        decision = request.POST.get("decision", "")
        self._review(
            request,
            models.TrainingExample.objects.filter(pk=pk),
            decision if decision in ReviewDecision.values else "invalid",
            label_of=(lambda _: request.POST.get("label", "").strip())
            if decision == ReviewDecision.RELABEL
            else None,
            notes=request.POST.get("notes", ""),
        )
        return HttpResponseRedirect(
            reverse("admin:training_trainingexample_change", args=[example.pk])
        )


# The TrainingRun and RetrainPolicy pages (registered on import).
from training import admin_runs  # noqa: E402, F401
