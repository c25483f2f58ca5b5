"""The review queue's list filters, its action form and its compact columns."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm

from models_registry.choices import CLASSIFIER_TASKS

# (value, title, lower bound inclusive, upper bound exclusive) of the quality score.
QUALITY_BANDS = [
    ("low", "< 0.3", None, 0.3),
    ("fair", "0.3 – 0.6", 0.3, 0.6),
    ("good", "0.6 – 0.8", 0.6, 0.8),
    ("high", "≥ 0.8", 0.8, None),
]

# Short names of the quality parts for the list column.
PART_NAMES = {"source": "src", "text": "txt", "agreement": "agr", "label_quality": "lq"}


class QualityBandFilter(admin.SimpleListFilter):
    title = "quality band"
    parameter_name = "quality_band"

    def lookups(self, request, model_admin):
        return [(value, title) for value, title, _, _ in QUALITY_BANDS]

    def queryset(self, request, queryset):
        for value, _, low, high in QUALITY_BANDS:
            if self.value() == value:
                if low is not None:
                    queryset = queryset.filter(quality_score__gte=low)
                if high is not None:
                    queryset = queryset.filter(quality_score__lt=high)
        return queryset


class LabelFilter(admin.SimpleListFilter):
    """The labels of the classification examples the user may see (a reply suggestion's
    label is free text: filter those by search instead)."""

    title = "label"
    parameter_name = "label"
    max_choices = 100

    def lookups(self, request, model_admin):
        labels = (
            model_admin.get_queryset(request)
            .filter(task__in=CLASSIFIER_TASKS)
            .order_by("expected_output")
            .values_list("expected_output", flat=True)
            .distinct()[: self.max_choices]
        )
        return [(label, label) for label in labels]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(expected_output=value) if value else queryset


class ReviewedByFilter(admin.RelatedOnlyFieldListFilter):
    """The reviewers of the examples the user may see (the admin's scoped queryset)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "reviewed by"


class ReviewActionForm(ActionForm):
    """The changelist's action bar, with the inputs of the relabel actions."""

    label = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "label (relabel)", "size": 14}),
    )
    # Text, checked by the action: an invalid form would not run the action at all (the
    # changelist only says "No action selected"), where this says what is wrong.
    min_evidence = forms.CharField(
        required=False,
        widget=forms.NumberInput(
            attrs={"placeholder": "min evidence", "step": "0.05", "style": "width: 9em"}
        ),
    )


def quality_parts_summary(parts: dict | None) -> str:
    """`src 0.50 · txt 0.80 · lq 0.05`: the known parts of a quality score, and a review."""
    shown = []
    for name, short in PART_NAMES.items():
        value = (parts or {}).get(name)
        if isinstance(value, int | float):
            shown.append(f"{short} {value:.2f}")
    review = (parts or {}).get("review")
    if review:
        shown.append(str(review))
    return " · ".join(shown) or "—"


def votes_summary(label_votes: dict | None) -> str:
    """`a ×2, b ×1`: the votes per label, most first."""
    ranked = sorted((label_votes or {}).items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{label} ×{count}" for label, count in ranked) or "—"


def parse_fraction(value: str) -> float | None:
    """`value` as a number from 0 to 1; None when blank; ValueError otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(value)
    return number
