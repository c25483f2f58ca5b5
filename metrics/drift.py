"""Drift statistics with the field's defaults (NannyML / Evidently).

Pure module: no Django, no database. Predicted classes are compared with the training labels
by Jensen–Shannon distance (base 2, so 0..1); confidences with the holdout's by the Population
Stability Index over the holdout's quantile bins. Without data on either side a statistic is
None and its level "no_data".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.spatial.distance import jensenshannon

JS_WARN = 0.1
JS_ALERT = 0.2
PSI_MODERATE = 0.1
PSI_MAJOR = 0.25


def js_distance(reference: Mapping[str, float], current: Mapping[str, float]) -> float | None:
    """Jensen–Shannon distance (square root of the divergence, base 2) of two label counts.

    Counts or proportions by label; a label missing on one side counts 0 there. None when
    either side sums to 0.
    """
    labels = sorted(set(reference) | set(current))
    p = np.array([reference.get(label, 0.0) for label in labels], dtype=float)
    q = np.array([current.get(label, 0.0) for label in labels], dtype=float)
    if (p < 0).any() or (q < 0).any():
        raise ValueError("counts must not be negative")
    if p.sum() <= 0 or q.sum() <= 0:
        return None
    with np.errstate(invalid="ignore"):
        distance = float(jensenshannon(p, q, base=2))
    # Identical inputs can round to a divergence of -1e-17, whose square root scipy gives as NaN.
    if math.isnan(distance):
        return 0.0
    return min(distance, 1.0)


def js_level(distance: float | None, *, warn: float = JS_WARN, alert: float = JS_ALERT) -> str:
    """Level of a distance: "no_data", "ok", "warn" (>= warn) or "alert" (>= alert)."""
    if distance is None:
        return "no_data"
    if distance >= alert:
        return "alert"
    if distance >= warn:
        return "warn"
    return "ok"


def quantile_edges(values: Sequence[float], bins: int = 10) -> list[float]:
    """The bins − 1 inner edges at the reference sample's quantiles, strictly increasing.

    Tied values give equal quantiles, which are merged: fewer bins result then. No values give
    no edges (one bin).
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    arr = np.asarray(values, dtype=float)
    if arr.size == 0 or bins == 1:
        return []
    edges = np.quantile(arr, np.arange(1, bins) / bins)
    return [float(edge) for edge in np.unique(edges)]


def bin_counts(values: Iterable[float], edges: Sequence[float]) -> list[int]:
    """len(edges) + 1 counts; bin i holds edges[i−1] <= v < edges[i] (numpy side="right").

    So a value equal to an edge goes to the bin that edge opens; a run of ties at an edge then
    has a bin to itself when ``quantile_edges`` merged the ties' quantiles. NaN is skipped.
    """
    edge_arr = np.asarray(edges, dtype=float)
    if edge_arr.size > 1 and not (np.diff(edge_arr) > 0).all():
        raise ValueError("edges must be strictly increasing")
    arr = np.fromiter(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    slots = np.searchsorted(edge_arr, arr, side="right")
    return [int(count) for count in np.bincount(slots, minlength=edge_arr.size + 1)]


def psi(
    reference_counts: Sequence[float],
    current_counts: Sequence[float],
    *,
    epsilon: float = 1e-4,
) -> float | None:
    """Population Stability Index: sum over bins of (a − e)·ln(a / e).

    a and e are the current and reference proportions per bin, each floored at ``epsilon`` so
    that an empty bin on one side gives a large but finite term. None
    when either total is 0.
    """
    e = np.asarray(reference_counts, dtype=float)
    a = np.asarray(current_counts, dtype=float)
    if e.shape != a.shape:
        raise ValueError(f"need the same bins, got {e.size} and {a.size}")
    if e.sum() <= 0 or a.sum() <= 0:
        return None
    e = np.maximum(e / e.sum(), epsilon)
    a = np.maximum(a / a.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_level(
    value: float | None, *, moderate: float = PSI_MODERATE, major: float = PSI_MAJOR
) -> str:
    """Level of a PSI: "no_data", "ok", "moderate" (>= moderate) or "major" (>= major)."""
    if value is None:
        return "no_data"
    if value >= major:
        return "major"
    if value >= moderate:
        return "moderate"
    return "ok"
