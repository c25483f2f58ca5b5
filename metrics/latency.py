"""Fixed latency buckets, as Prometheus histograms have, for hourly rollups.

Pure module: no Django, no database. A histogram is a list of ``SLOT_COUNT`` counts: one per
finite bucket of ``BUCKET_BOUNDS_MS`` (upper bounds, inclusive, Prometheus ``le``) and a last
slot for +Inf. Histograms of different hours merge by adding slot-wise, so a percentile over
any window is read from merged rollups. Such a percentile lies in the same bucket as the exact
(nearest-rank) one, so in a finite bucket above the first it is off by at most the bucket's
width, which is below ``RELATIVE_ERROR`` times the exact value; in the first bucket by at most
0.25 ms. Latencies beyond the last bound are reported as that bound.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence

GROWTH = 2**0.25
RELATIVE_ERROR = GROWTH - 1
FIRST_BOUND_MS = 0.25
MAX_BOUND_MS = 120_000.0


def _bounds() -> tuple[float, ...]:
    # 2 ** (i / 4) rather than GROWTH ** i: every fourth bound is then an exact power of two.
    bounds = [FIRST_BOUND_MS]
    while bounds[-1] < MAX_BOUND_MS:
        bounds.append(FIRST_BOUND_MS * 2 ** (len(bounds) / 4))
    return tuple(bounds)


BUCKET_BOUNDS_MS: tuple[float, ...] = _bounds()
SLOT_COUNT = len(BUCKET_BOUNDS_MS) + 1


def bucket_index(latency_ms: float) -> int:
    """Slot of a latency: the first bound >= it; negative and NaN count as 0."""
    latency_ms = float(latency_ms)
    if not latency_ms > 0:
        return 0
    return bisect_left(BUCKET_BOUNDS_MS, latency_ms)


def bucket_range(index: int) -> tuple[float, float]:
    """Lower and upper bound of a slot (upper is inf for the last)."""
    if not 0 <= index < SLOT_COUNT:
        raise IndexError(f"slot {index} out of range 0..{SLOT_COUNT - 1}")
    lower = BUCKET_BOUNDS_MS[index - 1] if index > 0 else 0.0
    upper = BUCKET_BOUNDS_MS[index] if index < len(BUCKET_BOUNDS_MS) else math.inf
    return lower, upper


def histogram(latencies: Iterable[float]) -> list[int]:
    """Counts per slot."""
    counts = [0] * SLOT_COUNT
    for latency in latencies:
        counts[bucket_index(latency)] += 1
    return counts


def merge(histograms: Iterable[Sequence[int]]) -> list[int]:
    """Slot-wise sum; shorter histograms are padded with zeros."""
    padded = []
    for counts in histograms:
        if len(counts) > SLOT_COUNT:
            raise ValueError(f"histogram has {len(counts)} slots, at most {SLOT_COUNT}")
        padded.append(
            counts if len(counts) == SLOT_COUNT else [*counts] + [0] * (SLOT_COUNT - len(counts))
        )
    if not padded:
        return [0] * SLOT_COUNT
    return [sum(column) for column in zip(*padded, strict=True)]


def nearest_rank(q: float, n: int) -> int:
    """1-based rank of the q-th percentile of n sorted values: max(1, ceil(q·n))."""
    if not 0 <= q <= 1:
        raise ValueError(f"q must be in 0..1, got {q}")
    # Rounded first so that float noise (0.07 * 100 == 7.000000000000001) does not add a rank.
    return max(1, math.ceil(round(q * n, 9)))


def percentile(counts: Sequence[int], q: float) -> float | None:
    """Estimated q-th percentile (q in 0..1) from a histogram; None when it is empty.

    Within the slot holding the nearest rank the estimate is interpolated linearly by the rank's
    position among the slot's counts, so the slot's last rank maps to its upper bound. The +Inf
    slot gives its lower bound.
    """
    if len(counts) > SLOT_COUNT:
        raise ValueError(f"histogram has {len(counts)} slots, at most {SLOT_COUNT}")
    n = sum(counts)
    if n <= 0:
        return None
    k = nearest_rank(q, n)
    before = 0
    for index, count in enumerate(counts):
        if before + count >= k:
            lower, upper = bucket_range(index)
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (k - before) / count
        before += count
    raise AssertionError("unreachable: rank k <= total count")


def exact_percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank q-th percentile (q in 0..1) of the values; None when there are none."""
    if len(values) == 0:
        return None
    return sorted(values)[nearest_rank(q, len(values)) - 1]
