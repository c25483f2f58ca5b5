from collections import defaultdict

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from aiops.admin_base import CONSOLE_ROLES, OrganizationScopedAdmin, console_organization_ids
from aiops.exceptions import DomainError
from training import models, services
from training.admin_filters import (
    LabelFilter,
    QualityBandFilter,
    ReviewActionForm,
    ReviewedByFilter,
    parse_fraction,
    quality_parts_summary,
    votes_summary,
)
from training.admin_focus import FocusReviewMixin
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
class TrainingExampleAdmin(FocusReviewMixin, OrganizationScopedAdmin):
    """The review queue: disputed examples first (votes against a trusted label), then
    suspected label noise, then lowest label quality. Decisions are POST-only actions (or the
    form on an example's page, which offers the task's labels, or the keyboard focus view)
    that call the review services, settle a dispute and are recorded in the admin log and in
    the example's events."""

    change_form_template = "admin/training/trainingexample/change_form.html"
    write_roles = CONSOLE_ROLES  # reviewing is a reviewer's work too
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
        "parts",
        "source",
        "validation_status",
        "vote_counts",
        "created_at",
    ]
    list_filter = [
        "validation_status",
        "disputed",
        "noise_flag",
        "organization",
        "task",
        "source",
        QualityBandFilter,
        LabelFilter,
        ("reviewer", ReviewedByFilter),
    ]
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
    action_form = ReviewActionForm
    actions = ["approve", "reject", "relabel", "accept_suggestion"]

    def has_add_permission(self, request):
        return False  # examples come from feedback, imports and the API's services

    def get_queryset(self, request):
        # every example (the status filter shows rejected ones too), in queue order
        queue = training_example_review_queue(include_rejected=True)
        ids = console_organization_ids(request)  # as OrganizationScopedAdmin scopes
        if ids is not None:
            queue = queue.filter(organization_id__in=ids)
        return queue.select_related("organization")

    def save_model(self, request, obj, form, change):
        # Every field is read-only (decisions go through the review services): never write
        # back the whole row, which could undo a concurrent vote.
        pass

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.input_text[:80]

    @admin.display(description="quality parts")
    def parts(self, obj):
        return quality_parts_summary(obj.quality_parts)

    @admin.display(description="votes")
    def vote_counts(self, obj):
        return votes_summary(obj.label_votes)

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

    def review(
        self, request, queryset, decision: str, *, label_of=None, notes: str = "", skipped: str = ""
    ) -> int:
        """Decide on the examples of `queryset` through the review service, one call per
        organization and label (a refused call writes nothing of its group and shows why),
        each decision in the admin log. `label_of(example)` gives a relabel's label ("":
        leave that example out). Returns how many were decided."""
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
        if done or skipped:
            self.message_user(
                request, f"{decision.title()}: {done} example(s).{skipped}", messages.SUCCESS
            )
        return done

    @staticmethod
    def _log_message(decision: str, example) -> str:
        if decision == ReviewDecision.RELABEL:
            return f"Relabeled to {example.expected_output!r}"
        return {"approve": "Approved", "reject": "Rejected"}[decision]

    def _action_inputs(self, request) -> dict | None:
        """The cleaned inputs of the action bar (ReviewActionForm); None, with the errors
        shown, when one is invalid."""
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if form.is_valid():
            return form.cleaned_data
        for name, errors in form.errors.items():
            self.message_user(request, f"{name}: {' '.join(errors)}", messages.ERROR)
        return None

    @admin.action(description="Approve selected examples")
    def approve(self, request, queryset):
        self.review(request, queryset, ReviewDecision.APPROVE)

    @admin.action(description="Reject selected examples")
    def reject(self, request, queryset):
        self.review(request, queryset, ReviewDecision.REJECT)

    @admin.action(description="Relabel selected examples to the label typed beside the action")
    def relabel(self, request, queryset):
        inputs = self._action_inputs(request)
        if inputs is None:
            return
        label = inputs["label"].strip()
        if not label:
            self.message_user(
                request, "Type the new label beside the action to relabel.", messages.ERROR
            )
            return
        self.review(request, queryset, ReviewDecision.RELABEL, label_of=lambda _: label)

    @admin.action(
        description="Accept the suggested label where the evidence against the current one "
        "(1 − its label quality) is at least the minimum (blank: every suggestion)"
    )
    def accept_suggestion(self, request, queryset):
        inputs = self._action_inputs(request)
        if inputs is None:
            return
        try:
            minimum = parse_fraction(inputs["min_evidence"])
        except ValueError:
            self.message_user(
                request, "The minimum evidence is a number from 0 to 1.", messages.ERROR
            )
            return

        # label_quality is cleanlab's self-confidence in the *current* label: low means the
        # out-of-fold model disagrees, so the evidence for its suggestion is 1 - label_quality.
        def label_of(example):
            if example.suggested_label == example.expected_output:
                return ""
            if minimum is not None and (
                example.label_quality is None or 1 - example.label_quality < minimum
            ):
                return ""
            return example.suggested_label

        examples = list(queryset)
        chosen = sum(1 for example in examples if label_of(example))
        left = len(examples) - chosen
        reason = "no other label suggested" + (
            "" if minimum is None else f" or evidence below {minimum:g}"
        )
        self.review(
            request,
            queryset,
            ReviewDecision.RELABEL,
            label_of=label_of,
            notes="Accepted the label-noise suggestion",
            skipped=f" Skipped {left} ({reason})." if left else "",
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
        self.review(
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
