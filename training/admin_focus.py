"""The keyboard focus view of the review queue: one example at a time, as Argilla and Label
Studio do it. Number keys pick a label of the task's label set, Enter approves (or relabels
to the picked label), Backspace rejects, S skips; after a decision the next example awaiting
review under the same changelist filters loads by itself. Beside the example: what the
deployed model predicts (a read-only preview, not logged), the feedback votes and the nearest
examples of the same task. Reviewers and admins only: agents get a 403."""

import copy

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from aiops.admin_base import console_check, console_organization_ids
from aiops.exceptions import DomainError
from training.admin_filters import quality_parts_summary
from training.choices import ReviewDecision
from training.labels import task_label_set
from training.selectors import (
    training_example_near_duplicates,
    training_example_prediction,
    training_examples_awaiting_review,
)

# Query parameters that are the focus view's own, or changelist ones it does not apply:
# it always shows what awaits review, in queue order, one at a time.
NOT_FILTERS = ("skip", "validation_status__exact", "o", "p", "e", "all", "_changelist_filters")
KEYED_LABELS = 9  # number keys 1..9


def skip_ids(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip().isdecimal()]


class FocusReviewMixin:
    """Adds the focus view to the TrainingExample admin (which provides `review`)."""

    focus_template = "admin/training/trainingexample/focus.html"

    def get_urls(self):
        focus = self.admin_site.admin_view(self.focus_view)
        return [
            path("focus/", focus, name="training_trainingexample_focus"),
            *super().get_urls(),
        ]

    def focus_view(self, request):
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        # An agent's membership gives no organization to review (console_organization_ids).
        if not self.has_change_permission(request) or console_organization_ids(request) == set():
            raise PermissionDenied("Reviewing needs a reviewer or admin membership.")
        if request.method == "POST":
            return self._focus_decide(request)
        filters = request.GET.copy()
        for name in NOT_FILTERS:
            filters.pop(name, None)
        skipped = skip_ids(request.GET.get("skip", ""))
        queue = training_examples_awaiting_review(self._focus_queryset(request, filters))
        waiting = queue.exclude(pk__in=skipped)
        example = waiting.select_related("organization").first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Focus review",
            "example": example,
            "remaining": waiting.count(),
            "skipped": len(skipped),
            "filter_query": filters.urlencode(),
            "post_url": request.get_full_path(),
        }
        if example is not None:
            context.update(self._focus_example_context(request, example, filters, skipped))
        return TemplateResponse(request, self.focus_template, context)

    def _focus_queryset(self, request, filters):
        """The admin's (scoped) queryset with the changelist's filters and search applied,
        in queue order: the changelist itself builds it from `filters`."""
        changelist_request = copy.copy(request)
        changelist_request.GET = filters
        try:
            return self.get_changelist_instance(changelist_request).queryset
        except IncorrectLookupParameters:
            messages.warning(request, "Some filters are not valid here; showing all examples.")
            return self.get_queryset(request)

    def _focus_example_context(self, request, example, filters, skipped) -> dict:
        try:
            labels = task_label_set(organization=example.organization, task=example.task)
        except DomainError:
            labels = []
        skip = filters.copy()
        skip["skip"] = ",".join(str(pk) for pk in [*skipped, example.pk])
        return {
            "free_text": labels is None,
            "label_buttons": [
                (str(i + 1) if i < KEYED_LABELS else "", label)
                for i, label in enumerate(labels or [])
            ],
            "parts": quality_parts_summary(example.quality_parts),
            "prediction": training_example_prediction(example=example),
            "votes": [
                (voter, vote.get("label", ""), vote.get("source", ""))
                for voter, vote in (example.operation_votes or {}).items()
            ],
            "duplicates": training_example_near_duplicates(example=example),
            "skip_url": f"{request.path}?{skip.urlencode()}",
            "change_url": reverse("admin:training_trainingexample_change", args=[example.pk]),
        }

    def _focus_decide(self, request):
        example_id = request.POST.get("example", "")
        if not example_id.isdecimal():
            messages.error(request, "No example to decide on.")
            return HttpResponseRedirect(request.get_full_path())
        example = get_object_or_404(self.get_queryset(request), pk=int(example_id))
        console_check(request, example.organization_id)
        decision = request.POST.get("decision", "")
        if decision not in ReviewDecision.values:
            messages.error(request, f"Unknown decision {decision!r}.")
        else:
            label = request.POST.get("label", "").strip()
            self.review(
                request,
                self.model.objects.filter(pk=example.pk),
                decision,
                label_of=(lambda _: label) if decision == ReviewDecision.RELABEL else None,
            )
            if decision == ReviewDecision.RELABEL and not label:
                messages.error(request, "Pick a label to relabel.")
        return HttpResponseRedirect(request.get_full_path())
