"""Training data export as JSON, CSV or OpenAI fine-tuning JSONL, written row by row.

Pure module: takes an iterable of row dicts (the selector's `values()`), yields text chunks,
so a response can stream any number of examples in constant memory. A suggestion example's
reply may come from another customer's ticket: `redact_suggestions` takes its personal data
out on the way (the stored example stays as it is).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from aiops.redaction import capitalised_words, customer_name, redact

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "MAX_EXPORT_ROWS",
    "MIN_OPENAI_EXAMPLES",
    "SYSTEM_PROMPTS",
    "csv_chunks",
    "json_chunks",
    "openai_chunks",
    "openai_record",
    "redact_suggestions",
]

FORMATS = ("json", "csv", "openai")
MIN_OPENAI_EXAMPLES = 10  # OpenAI's fine-tuning API refuses fewer
MAX_EXPORT_ROWS = 100_000  # the most `limit` may ask for

CSV_COLUMNS = (
    "id",
    "task",
    "input_text",
    "expected_output",
    "source",
    "quality_score",
    "validation_status",
    "created_at",
)
_JSON_KEYS = {
    "id": "id",
    "task": "task",
    "input_text": "inputText",
    "expected_output": "expectedOutput",
    "source": "source",
    "quality_score": "qualityScore",
    "validation_status": "validationStatus",
    "created_at": "createdAt",
}

SYSTEM_PROMPTS = {
    "category": ("You classify helpdesk tickets. Answer with the ticket's category name only."),
    "priority": "You triage helpdesk tickets. Answer with the ticket's priority only.",
    "sentiment": (
        "You read helpdesk tickets. Answer with the customer's sentiment only: "
        "negative, neutral or positive."
    ),
    "suggestion": "You answer helpdesk tickets with a helpful reply.",
}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def redact_suggestions(rows: Iterable[dict]) -> Iterator[dict]:
    """The rows, each suggestion example's reply with its personal data replaced: emails,
    phone numbers, references, and names, the greeting's by the first name the example's
    ticket text signs with (else a placeholder); names that ticket mentions itself stay."""
    for row in rows:
        if row["task"] == "suggestion" and row["expected_output"]:
            text = row["input_text"] or ""
            current = customer_name(texts=[text])
            row = {
                **row,
                "expected_output": redact(
                    row["expected_output"],
                    customer=current.first if current else None,
                    keep_names=capitalised_words(text),
                ),
            }
        yield row


def json_chunks(rows: Iterable[dict]) -> Iterator[str]:
    """A JSON array of camelCase objects, one element per chunk."""
    yield "["
    first = True
    for row in rows:
        item = {_JSON_KEYS[k]: _plain(row[k]) for k in CSV_COLUMNS}
        yield ("" if first else ",") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "]"


def csv_chunks(rows: Iterable[dict]) -> Iterator[str]:
    """RFC 4180 CSV (quoted as needed, so commas, quotes and newlines survive), UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in rows:
        writer.writerow([_plain(row[k]) for k in CSV_COLUMNS])
        yield flush()


def openai_record(*, system: str, user: str, assistant: str) -> dict:
    """One fine-tuning example; every message must be a non-empty string."""
    for role, content in (("system", system), ("user", user), ("assistant", assistant)):
        if not isinstance(content, str) or not content.strip():
            raise ValueError(f"the {role} message must be a non-empty string")
    return {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
    }


def openai_chunks(rows: Iterable[dict], *, system: str) -> Iterator[str]:
    """JSON Lines of `{"messages": [system, user, assistant]}`; rows are expected to be
    checked beforehand (the selector leaves blank texts and labels out)."""
    for row in rows:
        record = openai_record(
            system=system, user=row["input_text"], assistant=row["expected_output"]
        )
        yield json.dumps(record, ensure_ascii=False) + "\n"
