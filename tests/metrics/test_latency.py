"""Latency buckets: bounds, `le` bucketing, percentiles from histograms within the stated error."""

import math
from bisect import bisect_left

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.latency import (
    BUCKET_BOUNDS_MS,
    GROWTH,
    RELATIVE_ERROR,
    SLOT_COUNT,
    bucket_index,
    bucket_range,
    exact_percentile,
    histogram,
    merge,
    percentile,
)


def index_by_definition(x: float) -> int:
    """The first bound >= x (Prometheus `le`), else the +Inf slot."""
    return next((i for i, bound in enumerate(BUCKET_BOUNDS_MS) if x <= bound), SLOT_COUNT - 1)


def test_bounds_geometric_from_quarter_ms_to_first_past_two_minutes():
    assert BUCKET_BOUNDS_MS[0] == 0.25
    assert BUCKET_BOUNDS_MS[-1] >= 120_000 > BUCKET_BOUNDS_MS[-2]
    assert len(histogram([])) == len(BUCKET_BOUNDS_MS) + 1
    ratios = [b / a for a, b in zip(BUCKET_BOUNDS_MS, BUCKET_BOUNDS_MS[1:], strict=False)]
    assert all(math.isclose(r, GROWTH, rel_tol=1e-12) for r in ratios)
    assert math.isclose(RELATIVE_ERROR, 2**0.25 - 1)


def test_bucket_index_le_semantics_on_boundaries():
    for i, bound in enumerate(BUCKET_BOUNDS_MS):
        assert bucket_index(bound) == i
        assert bucket_index(math.nextafter(bound, 0)) == i
        assert bucket_index(math.nextafter(bound, math.inf)) == i + 1
    assert bucket_index(0) == 0
    assert bucket_index(-5) == 0
    assert bucket_index(math.nan) == 0
    assert bucket_index(math.inf) == SLOT_COUNT - 1


def test_bucket_index_on_random_values():
    rng = np.random.default_rng(7)
    for x in 10 ** rng.uniform(-3, 6, size=2_000):
        x = float(x)
        assert bucket_index(x) == index_by_definition(x) == bisect_left(BUCKET_BOUNDS_MS, x)


def test_bucket_range():
    assert bucket_range(0) == (0.0, 0.25)
    assert bucket_range(1) == (0.25, BUCKET_BOUNDS_MS[1])
    assert bucket_range(SLOT_COUNT - 1) == (BUCKET_BOUNDS_MS[-1], math.inf)
    with pytest.raises(IndexError):
        bucket_range(SLOT_COUNT)


def test_percentile_interpolates_within_the_slot():
    # Four values in the slot (1, 2^0.25]: rank 2 of 4 sits halfway.
    counts = histogram([1.1, 1.1, 1.1, 1.1])
    lower, upper = bucket_range(bucket_index(1.1))
    assert percentile(counts, 0.5) == pytest.approx(lower + (upper - lower) / 2)
    assert percentile(counts, 1.0) == upper
    assert percentile(histogram([500_000.0]), 0.99) == BUCKET_BOUNDS_MS[-1]
    assert percentile([0] * SLOT_COUNT, 0.5) is None
    assert percentile([], 0.5) is None


def test_exact_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert exact_percentile(values, 0.95) == 95
    assert exact_percentile(values, 0.07) == 7  # not 8: 0.07 * 100 == 7.000000000000001
    assert exact_percentile(values, 0.0) == 1
    assert exact_percentile(values, 1.0) == 100
    assert exact_percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert exact_percentile([], 0.5) is None
    with pytest.raises(ValueError):
        exact_percentile(values, 1.5)


latencies = st.lists(
    st.one_of(
        st.floats(min_value=0.01, max_value=200_000),
        st.sampled_from(BUCKET_BOUNDS_MS),
    ),
    min_size=1,
    max_size=500,
)


@settings(max_examples=200, deadline=None, database=None)
@given(xs=latencies, q=st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_percentile_in_the_exact_percentiles_bucket(xs, q):
    exact = exact_percentile(xs, q)
    estimate = percentile(histogram(xs), q)
    index = bucket_index(exact)
    if index == SLOT_COUNT - 1:
        assert estimate == BUCKET_BOUNDS_MS[-1]
        return
    lower, upper = bucket_range(index)
    assert lower - 1e-9 <= estimate <= upper + 1e-9
    assert bucket_index(estimate) == index
    if index == 0:
        assert abs(estimate - exact) <= 0.25
    else:
        assert abs(estimate - exact) <= RELATIVE_ERROR * upper
        assert abs(estimate - exact) <= RELATIVE_ERROR * exact


@settings(max_examples=50, deadline=None, database=None)
@given(xs=latencies, ys=latencies)
def test_merge_equals_histogram_of_concatenation(xs, ys):
    assert merge([histogram(xs), histogram(ys)]) == histogram(xs + ys)


def test_merge_empty_and_short():
    assert merge([]) == [0] * SLOT_COUNT
    assert merge([[1, 2], histogram([0.1])]) == [2, 2] + [0] * (SLOT_COUNT - 2)
    with pytest.raises(ValueError):
        merge([[0] * (SLOT_COUNT + 1)])
