"""What a training example's label may be, per task: the one check every way in uses (the
API, imports, the admin, reviews and the feedback sweep).

Sentiment and priority have fixed choices; a category label is one of the organization's
categories (a new one comes only from creating the category); a suggestion's label is a free
text reply (None: no label set)."""

from aiops.choices import Priority, SentimentLabel
from aiops.exceptions import InvalidInput
from aiops.selectors import category_names
from models_registry.choices import Task

FIXED_LABELS = {Task.SENTIMENT: SentimentLabel.values, Task.PRIORITY: Priority.values}


def task_label_set(*, organization, task: str) -> list[str] | None:
    """The valid labels of `task` in this organization (None: free text). One query for the
    category task, none for the others."""
    if task == Task.CATEGORY:
        return category_names(organization=organization)
    if task in FIXED_LABELS:
        return list(FIXED_LABELS[task])
    return None


class LabelSets:
    """`task_label_set` of one organization, each task's read at most once."""

    def __init__(self, organization):
        self.organization = organization
        self._sets: dict[str, list[str] | None] = {}

    def __call__(self, task: str) -> list[str] | None:
        if task not in self._sets:
            self._sets[task] = task_label_set(organization=self.organization, task=task)
        return self._sets[task]

    def check(self, label: str, *, task: str, field: str = "label") -> None:
        """InvalidInput (the valid labels in its message and `field`'s errors) unless `label`
        is in `task`'s label set."""
        valid = self(task)
        if valid is not None and label not in valid:
            raise unknown_label(label, task=task, valid=valid, field=field)


def unknown_label(label: str, *, task: str, valid: list[str], field: str = "label"):
    hint = " (create the category first)" if task == Task.CATEGORY else ""
    message = f"Unknown {task} label {label!r}{hint}. Valid labels: {', '.join(valid) or 'none'}."
    return InvalidInput(message, fields={field: [message]})
