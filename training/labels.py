"""What a training example's label may be, per task: the one check every way in uses (the
API, imports, the admin, reviews and the feedback sweep).

The app that owns a task's vocabulary registers it (aiops, in its AppConfig.ready: the fixed
sentiment and priority choices, and the organization's categories, so a new category comes
only from creating the category), as it registers the documents of retrieval: training reads
no helpdesk table. A classification task always has a label set; a suggestion's label is a
free text reply (None: no label set)."""

from collections.abc import Callable

from aiops.exceptions import InvalidInput
from models_registry.choices import CLASSIFIER_TASKS, Task

# (organization) -> the valid labels of a task in it.
LabelSource = Callable[[object], list[str]]

_sources: dict[str, LabelSource] = {}


def register_label_source(task: str, source: LabelSource) -> None:
    _sources[task] = source


def task_label_set(*, organization, task: str) -> list[str] | None:
    """The valid labels of `task` in this organization (None: free text)."""
    source = _sources.get(task)
    if source is not None:
        return list(source(organization))
    if task in CLASSIFIER_TASKS:
        raise InvalidInput(f"No label set is registered for task {task}.")
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
