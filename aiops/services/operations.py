"""The AI operations: classify, suggest, sentiment. Each is served by the registry
(`inference_serve`: route, load, predict, falling back to the stable version when the routed
one fails) and records the operation and its inference log row, all or nothing (one
statement on PostgreSQL: aiops.sql.insert_linked). The latency recorded leaves out any model
load."""

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiops import redaction
from aiops.exceptions import InvalidInput, NotFound, Unavailable
from aiops.models import (
    Category,
    Classification,
    Organization,
    SentimentAnalysis,
    Suggestion,
    Ticket,
)
from aiops.selectors import ticket_customer_texts
from aiops.sql import get_one
from models_registry.choices import Task
from models_registry.services import Served, inference_log_record, inference_serve
from models_registry.serving import ModelUnavailable, predict_label

MAX_INPUT_CHARS = 20_000


@dataclass(frozen=True)
class OperationInput:
    text: str
    ticket: Ticket | None
    unit_id: str


def operation_input(
    *,
    organization: Organization,
    ticket_id: int | None = None,
    subject: str = "",
    body: str = "",
) -> OperationInput:
    """The text to work on: a ticket of this organization, or a subject and body."""
    if ticket_id is not None:
        # Not .first(): its ORDER BY costs more to compile than this lookup takes to run.
        ticket = next(iter(Ticket.objects.filter(organization=organization, pk=ticket_id)), None)
        if ticket is None:
            raise NotFound(f"Ticket {ticket_id} not found.")
        return OperationInput(
            text=ticket.text[:MAX_INPUT_CHARS], ticket=ticket, unit_id=str(ticket.pk)
        )
    text = f"{subject}\n{body}".strip()
    if not text:
        raise InvalidInput(
            "Give a ticketId, or a subject and/or body.",
            fields={"ticket_id": ["Required without subject or body."]},
        )
    return OperationInput(
        text=text[:MAX_INPUT_CHARS],
        ticket=None,
        unit_id="text-" + hashlib.sha1(text.encode()).hexdigest()[:16],
    )


def _serve(organization: Organization, task: str, source: OperationInput, predict) -> Served:
    return inference_serve(
        organization=organization, task=task, unit_id=source.unit_id, predict=predict
    )


def _tokens(text: str) -> int:
    return len(text.split())


def _record(
    model,
    organization,
    served: Served,
    source: OperationInput,
    *,
    label,
    confidence,
    started,
    **fields,
):
    """The inference log row and the operation row, all or nothing."""
    operation = model(
        organization=organization,
        ticket=source.ticket,
        input_text=source.text,
        confidence=confidence,
        tokens_used=_tokens(source.text),
        model_version=served.route.version,
        **fields,
    )
    _log(
        organization,
        served,
        source,
        label=label,
        confidence=confidence,
        started=started,
        operation=operation,
    )
    return operation


def _log(
    organization,
    served: Served,
    source: OperationInput,
    *,
    label,
    confidence,
    started,
    operation=None,
):
    """Log the inference; with `operation` (unsaved), insert it with the log, its processing
    time the log's latency."""
    route = served.route
    latency_ms = (time.perf_counter() - started) * 1000 - served.load_ms
    if operation is not None:
        operation.processing_time_ms = latency_ms
    return inference_log_record(
        organization=organization,
        model_version=route.version,
        latency_ms=latency_ms,
        predicted_label=label,
        confidence=confidence,
        unit_id=source.unit_id,
        arm=route.arm,
        ab_test=route.ab_test,
        shadow=route.shadow,
        shadow_text=source.text,
        tokens_in=_tokens(source.text),
        operation=operation,
    )


def _classifier(text: str):
    return lambda model: predict_label(model, text)


def classify(*, organization: Organization, source: OperationInput) -> Classification:
    started = time.perf_counter()
    served = _serve(organization, Task.CATEGORY, source, _classifier(source.text))
    label, confidence = served.output
    # Looked up, never created from model output: a label that is no longer a category is
    # answered as predicted, with no category linked, until a retrain drops it.
    # (organization, name) is unique: a raw read, cheaper than compiling the ORM's.
    category = get_one(Category, organization_id=organization.pk, name=label)
    return _record(
        Classification,
        organization,
        served,
        source,
        label=label,
        confidence=confidence,
        started=started,
        category=category,
    )


# What classify can answer beside the category (`include`), each by its own task's model.
CLASSIFY_INCLUDES = (Task.PRIORITY, Task.SENTIMENT)


@dataclass(frozen=True)
class TaskAnswer:
    label: str
    confidence: float
    model_version: str
    # The operation record to give feedback on (sentiment); priority has none.
    operation_id: int | None = None


@dataclass(frozen=True)
class ClassifyResult:
    classification: Classification
    # Per included task its answer, or None when it has no model to answer (see unavailable).
    answers: dict[str, TaskAnswer | None]
    unavailable: dict[str, str]


def _priority(*, organization: Organization, source: OperationInput) -> TaskAnswer:
    """Priority has no operation record: its inference log row is the record."""
    started = time.perf_counter()
    served = _serve(organization, Task.PRIORITY, source, _classifier(source.text))
    label, confidence = served.output
    _log(organization, served, source, label=label, confidence=confidence, started=started)
    return TaskAnswer(label, confidence, served.route.version.version)


def _sentiment(*, organization: Organization, source: OperationInput) -> TaskAnswer:
    record = analyze_sentiment(organization=organization, source=source)
    return TaskAnswer(
        record.sentiment, record.confidence, record.model_version.version, operation_id=record.pk
    )


_INCLUDED = {Task.PRIORITY: _priority, Task.SENTIMENT: _sentiment}


def classify_including(
    *, organization: Organization, source: OperationInput, include: Sequence[str]
) -> ClassifyResult:
    """Classify, then answer each task of `include` (priority, sentiment) with that task's
    routed version, logged as its own inference (sentiment also as its operation record). A
    task that cannot answer (no model deployed, or none that loads) is None with the reason,
    and the classification stands."""
    unknown = [task for task in include if task not in CLASSIFY_INCLUDES]
    if unknown:
        raise InvalidInput(
            f"Classify can include {', '.join(CLASSIFY_INCLUDES)}, not {', '.join(unknown)}.",
            fields={"include": [f"Must be among: {', '.join(CLASSIFY_INCLUDES)}."]},
        )
    classification = classify(organization=organization, source=source)
    answers, unavailable = {}, {}
    for task in dict.fromkeys(include):
        try:
            answers[task] = _INCLUDED[task](organization=organization, source=source)
        except (Unavailable, ModelUnavailable) as error:
            answers[task], unavailable[task] = None, error.message
    return ClassifyResult(classification, answers, unavailable)


def analyze_sentiment(*, organization: Organization, source: OperationInput) -> SentimentAnalysis:
    started = time.perf_counter()
    served = _serve(organization, Task.SENTIMENT, source, _classifier(source.text))
    label, confidence = served.output
    return _record(
        SentimentAnalysis,
        organization,
        served,
        source,
        label=label,
        confidence=confidence,
        started=started,
        sentiment=label,
    )


def suggest(*, organization: Organization, source: OperationInput, k: int = 3) -> Suggestion:
    started = time.perf_counter()
    exclude = source.ticket.pk if source.ticket else None
    served = _serve(
        organization,
        Task.SUGGESTION,
        source,
        lambda model: model.query(source.text, k=k, exclude_ticket_id=exclude),
    )
    matches = served.output
    if not matches:
        raise Unavailable("No resolved ticket resembles this one; nothing to suggest.")
    best = matches[0]
    return _record(
        Suggestion,
        organization,
        served,
        source,
        label=f"ticket:{best['ticket_id']}",
        confidence=best["score"],
        started=started,
        content=_reply_for(
            organization, source, ticket_id=best["ticket_id"], reply=best["resolution"]
        ),
        source_references=[{"ticket_id": m["ticket_id"], "score": m["score"]} for m in matches],
    )


def _customer(organization: Organization, ticket_id: int) -> redaction.CustomerName | None:
    texts = ticket_customer_texts(organization=organization, ticket_id=ticket_id)
    return redaction.customer_name(texts=texts[0], replies=texts[1]) if texts else None


def _reply_for(
    organization: Organization, source: OperationInput, *, ticket_id: int, reply: str
) -> str:
    """Another ticket's resolution, fit to be shown for this one: its customer's personal data
    replaced, their name by this ticket's customer's first name (the stored resolution stays
    as written)."""
    origin = _customer(organization, ticket_id)
    if source.ticket is not None:
        current = _customer(organization, source.ticket.pk)
    else:
        current = redaction.customer_name(texts=[source.text])
    return redaction.redact(
        reply,
        customer=current.first if current else None,
        customer_names=(origin.full, origin.first) if origin else (),
        other_names=(origin.last,) if origin else (),
    )
