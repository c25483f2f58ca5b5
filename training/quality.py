"""Quality score of a training example, 0..1, with the parts it was made of.

Pure module: no Django, no database. The score is a weighted mean of the parts that are
known for an example (unknown parts are left out, so they neither raise nor lower it):

========================  ======  ============================================================
part                      weight  meaning
========================  ======  ============================================================
``source``                0.35    how far the label's origin is trusted (``SOURCE_TRUST``)
``text``                  0.15    is the text a usable input (length, letters, runs, caps)
``agreement``             0.25    share of feedback that agrees with this label
``label_quality``         0.25    confident learning: out-of-fold probability of the label
========================  ======  ============================================================

Who labelled an example says most about the label, so ``source`` weighs most; feedback
agreement and confident-learning evidence are direct evidence about this very label and
together outweigh it once both are known; text quality only says whether the input is usable.

Votes weigh by the same trust: ``label_weights`` sums it per label and ``weighted_label``
picks the label an example's votes stand behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "PART_WEIGHTS",
    "SOURCE_TRUST",
    "TRUSTED_SOURCES",
    "QualityScore",
    "label_weights",
    "score_example",
    "text_quality",
    "weighted_label",
]

# Trust in the origin of a label: expert > reviewer > user correction > user acceptance >
# import > automated. A correction is a deliberate act by an agent who read the ticket, so it
# is trusted above a mere acceptance (which may be a click-through); bulk imports are of
# unknown provenance; automated labels (model output, heuristics) are trusted least.
SOURCE_TRUST: MappingProxyType[str, float] = MappingProxyType(
    {
        "expert": 1.0,
        "reviewer": 0.9,
        "user_correction": 0.75,
        "user_acceptance": 0.6,
        "import": 0.5,
        "automated": 0.3,
    }
)

# Who labels an example rather than votes on it: a label from one of these is only changed by a
# reviewer (or by the same voter changing its own label), never outvoted by feedback.
TRUSTED_SOURCES = frozenset({"expert", "reviewer", "import"})

PART_WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {"source": 0.35, "text": 0.15, "agreement": 0.25, "label_quality": 0.25}
)

# Text checks (each 0..1; the text part is their mean).
MIN_WORDS = 3  # fewer words: too little to classify ("help", "card?")
MAX_WORDS = 400  # more: probably a pasted thread or log; score decays towards 0.5
MIN_ALPHA_RATIO = 0.3  # letters / non-space characters at or below this → 0
GOOD_ALPHA_RATIO = 0.7  # at or above this → 1
MAX_RUN = 3  # a character repeated more than this ("!!!!", "aaaaa") costs points
MIN_LETTERS_FOR_CAPS = 8  # shorter texts ("ATM PIN") are not judged on capitals
CAPS_RATIO = 0.8  # share of upper-case letters above which a text counts as shouting

_RUN = re.compile(r"(.)\1*", re.DOTALL)


@dataclass(frozen=True)
class QualityScore:
    total: float
    parts: dict[str, float]
    text_parts: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "parts": dict(self.parts), "text": dict(self.text_parts)}


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _length_score(n_words: int) -> float:
    if n_words == 0:
        return 0.0
    if n_words < MIN_WORDS:
        return n_words / MIN_WORDS * 0.6
    if n_words <= MAX_WORDS:
        return 1.0
    return max(0.5, MAX_WORDS / n_words)


def _alpha_score(text: str) -> float:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 0.0
    ratio = sum(c.isalpha() for c in visible) / len(visible)
    return _clamp((ratio - MIN_ALPHA_RATIO) / (GOOD_ALPHA_RATIO - MIN_ALPHA_RATIO))


def _repeat_score(text: str) -> float:
    longest = max(
        (len(m.group(0)) for m in _RUN.finditer(text) if not m.group(0).isspace()), default=0
    )
    if longest <= MAX_RUN:
        return 1.0
    return _clamp(1.0 - (longest - MAX_RUN) / 7)  # a run of 10 or more → 0


def _caps_score(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < MIN_LETTERS_FOR_CAPS:
        return 1.0
    upper = sum(c.isupper() for c in letters) / len(letters)
    return 0.0 if upper > CAPS_RATIO else 1.0


def text_quality(text: str) -> dict[str, float]:
    """The four text checks, each 0..1: ``length``, ``alphabetic``, ``repeats``, ``caps``."""
    text = text or ""
    return {
        "length": _length_score(len(text.split())),
        "alphabetic": _alpha_score(text),
        "repeats": _repeat_score(text),
        "caps": _caps_score(text),
    }


def _optional_fraction(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):  # e.g. an example that noise detection could not evaluate
        return None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be within 0..1, got {value}")
    return value


def score_example(
    *,
    source: str,
    text: str,
    agreement: float | None = None,
    label_quality: float | None = None,
) -> QualityScore:
    """Score one example.

    ``source`` is one of ``SOURCE_TRUST`` (case and ``-``/space vs ``_`` are ignored).
    ``agreement`` is the share (0..1) of feedback agreeing with the label; ``None`` when there
    is none. ``label_quality`` is the confident-learning self-confidence (0..1); ``None`` (or
    NaN) when it has not been computed. Unknown parts are left out of the weighted mean.
    """
    key = str(source).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in SOURCE_TRUST:
        raise ValueError(f"unknown source {source!r}; expected one of {tuple(SOURCE_TRUST)}")
    text_parts = text_quality(text)
    parts: dict[str, float] = {
        "source": SOURCE_TRUST[key],
        "text": sum(text_parts.values()) / len(text_parts),
    }
    for name, value in (("agreement", agreement), ("label_quality", label_quality)):
        checked = _optional_fraction(name, value)
        if checked is not None:
            parts[name] = checked
    weight = sum(PART_WEIGHTS[name] for name in parts)
    total = sum(PART_WEIGHTS[name] * value for name, value in parts.items()) / weight
    return QualityScore(
        total=round(_clamp(total), 4),
        parts={name: round(value, 4) for name, value in parts.items()},
        text_parts={name: round(value, 4) for name, value in text_parts.items()},
    )


def label_weights(votes: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Each label's weight: the ``SOURCE_TRUST`` of its ``(label, source)`` votes, summed
    (rounded, so that equal sums made in another order still tie)."""
    weights: dict[str, float] = {}
    for label, source in votes:
        weights[label] = weights.get(label, 0.0) + SOURCE_TRUST[source]
    return {label: round(weight, 9) for label, weight in weights.items()}


def weighted_label(weights: Mapping[str, float], *, current: str, newest: str | None = None) -> str:
    """The label with the most weight. A tie goes to ``newest`` (the label of the vote just
    cast), else ``current`` keeps it, else the first tied label in sorted order."""
    if not weights:
        return current
    best = max(weights.values())
    for label in (newest, current):
        if label is not None and weights.get(label) == best:
            return label
    return min(label for label, weight in weights.items() if weight == best)
