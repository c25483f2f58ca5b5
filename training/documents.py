"""Where training gets the documents of a retrieval task: the app that owns them registers a
source (aiops registers the resolved tickets in its AppConfig.ready), so training never
reads another app's tables."""

from collections.abc import Callable

from aiops.exceptions import InvalidInput

# (organization id) -> [(document id, text, answer)], in a stable order.
DocumentSource = Callable[[int], list[tuple[int, str, str]]]

_sources: dict[str, DocumentSource] = {}


def register_document_source(task: str, source: DocumentSource) -> None:
    _sources[task] = source


def document_rows(*, organization_id: int, task: str) -> list[tuple[int, str, str]]:
    source = _sources.get(task)
    if source is None:
        raise InvalidInput(f"No document source is registered for task {task}.")
    return source(organization_id)
