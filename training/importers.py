"""Parsing example files (CSV or JSONL) into rows, with every bad row reported."""

import csv
import io
import json
from dataclasses import dataclass, field

MAX_TEXT_LENGTH = 20_000
MAX_LABEL_LENGTH = 200


@dataclass(frozen=True)
class ParsedRow:
    line: int
    text: str
    label: str


@dataclass
class ParseResult:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, columns, emptiness)."""


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not valid UTF-8 (byte {exc.start}).") from exc


def _check_row(result: ParseResult, line: int, text, label) -> None:
    text = "" if text is None else str(text).strip()
    label = "" if label is None else str(label).strip()
    if not text:
        result.errors.append({"line": line, "message": "The text is empty."})
    elif len(text) > MAX_TEXT_LENGTH:
        result.errors.append(
            {"line": line, "message": f"The text is over {MAX_TEXT_LENGTH} characters."}
        )
    elif not label:
        result.errors.append({"line": line, "message": "The label is empty."})
    elif len(label) > MAX_LABEL_LENGTH:
        result.errors.append(
            {"line": line, "message": f"The label is over {MAX_LABEL_LENGTH} characters."}
        )
    else:
        result.rows.append(ParsedRow(line=line, text=text, label=label))


def _require_columns(present, text_column: str, label_column: str) -> None:
    missing = [c for c in (text_column, label_column) if c not in present]
    if missing:
        raise ImportFileError(
            f"Missing column(s) {', '.join(missing)}; the file has: {', '.join(present) or '—'}."
        )


def parse_csv(data: bytes, *, text_column: str, label_column: str, progress=None) -> ParseResult:
    content = _decode(data)
    if not content.strip():
        raise ImportFileError("The file is empty.")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    _require_columns(reader.fieldnames or [], text_column, label_column)
    result = ParseResult()
    try:
        for record in reader:
            if None in record:
                result.errors.append(
                    {
                        "line": reader.line_num,
                        "message": "The row has more "
                        "fields than the header (quote fields with commas).",
                    }
                )
                continue
            _check_row(result, reader.line_num, record.get(text_column), record.get(label_column))
            if progress:
                progress(1)
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num}: {exc}") from exc
    if not result.rows and not result.errors:
        raise ImportFileError("The file has a header but no rows.")
    return result


def parse_jsonl(data: bytes, *, text_column: str, label_column: str, progress=None) -> ParseResult:
    content = _decode(data)
    lines = content.splitlines()
    if not any(line.strip() for line in lines):
        raise ImportFileError("The file is empty.")
    result = ParseResult()
    for number, line in enumerate(lines, start=1):
        if progress:
            progress(1)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.errors.append({"line": number, "message": f"Invalid JSON: {exc.msg}."})
            continue
        if not isinstance(record, dict):
            result.errors.append({"line": number, "message": "Each line must be a JSON object."})
            continue
        missing = [c for c in (text_column, label_column) if c not in record]
        if missing:
            result.errors.append(
                {"line": number, "message": f"Missing key(s): {', '.join(missing)}."}
            )
            continue
        _check_row(result, number, record[text_column], record[label_column])
    return result


def label_errors(rows: list[ParsedRow], valid: list[str] | None) -> list[dict]:
    """The rows whose label is not in `valid` (a task's label set; None takes any label)."""
    if valid is None:
        return []
    allowed = set(valid)
    return [
        {"line": row.line, "message": f"Unknown label {row.label!r}."}
        for row in rows
        if row.label not in allowed
    ]


def parse_file(
    data: bytes, *, fmt: str, text_column: str, label_column: str, progress=None
) -> ParseResult:
    parser = {"csv": parse_csv, "jsonl": parse_jsonl}.get(fmt)
    if parser is None:
        raise ImportFileError(f"Unknown format {fmt!r}; expected csv or jsonl.")
    return parser(data, text_column=text_column, label_column=label_column, progress=progress)


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
