"""Drift: Jensen–Shannon distance on classes, PSI on confidence quantile bins, and their levels."""

import math

import numpy as np
import pytest

from metrics.drift import (
    bin_counts,
    js_distance,
    js_level,
    psi,
    psi_level,
    quantile_edges,
)

LABELS = [f"class_{i}" for i in range(10)]
CLASS_P = np.array([0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])


def test_js_distance_by_hand_on_two_classes():
    p, q = (0.5, 0.5), (0.9, 0.1)
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl_pm = sum(a * math.log2(a / c) for a, c in zip(p, m, strict=True))
    kl_qm = sum(b * math.log2(b / c) for b, c in zip(q, m, strict=True))
    expected = math.sqrt((kl_pm + kl_qm) / 2)
    # Counts, not proportions: they are normalized.
    assert js_distance({"a": 50, "b": 50}, {"a": 90, "b": 10}) == pytest.approx(expected)
    assert expected == pytest.approx(0.3831, abs=1e-4)


def test_js_distance_bounds_and_missing_labels():
    assert js_distance({"a": 3, "b": 1}, {"a": 6, "b": 2}) == 0.0
    assert js_distance({"a": 3}, {"b": 5}) == pytest.approx(1.0)
    # A label missing on one side counts 0 there.
    assert js_distance({"a": 1, "b": 0}, {"a": 1}) == 0.0
    assert js_distance({}, {"a": 1}) is None
    assert js_distance({"a": 0}, {"a": 1}) is None


def test_js_distance_identical_random_counts_are_zero_not_nan():
    rng = np.random.default_rng(1)
    for _ in range(20):
        counts = dict(zip(LABELS, rng.random(10).tolist(), strict=True))
        tripled = {label: 3 * value for label, value in counts.items()}
        assert js_distance(counts, tripled) == pytest.approx(0.0, abs=1e-6)


def test_js_level():
    assert js_level(None) == "no_data"
    assert js_level(0.0) == "ok"
    assert js_level(0.0999) == "ok"
    assert js_level(0.1) == "warn"
    assert js_level(0.2) == "alert"
    assert js_level(0.15, warn=0.05, alert=0.15) == "alert"


def class_counts(rng, p, n=2_000):
    drawn = np.bincount(rng.choice(len(p), size=n, p=p), minlength=len(p))
    return dict(zip(LABELS, drawn.tolist(), strict=True))


def test_class_shift_levels():
    rng = np.random.default_rng(42)
    reference = class_counts(rng, CLASS_P)
    same = js_distance(reference, class_counts(rng, CLASS_P))
    assert js_level(same) == "ok"

    # 30% of the traffic moves from the two largest classes to the two smallest.
    shifted_p = CLASS_P.copy()
    shifted_p[[0, 1]] -= 0.15
    shifted_p[[8, 9]] += 0.15
    shifted = js_distance(reference, class_counts(rng, shifted_p))
    assert js_level(shifted) == "alert"


def test_confidence_shift_levels():
    rng = np.random.default_rng(3)
    reference = rng.beta(8, 2, 5_000)
    edges = quantile_edges(reference)
    assert len(edges) == 9
    reference_counts = bin_counts(reference, edges)

    def psi_against(sample):
        return psi(reference_counts, bin_counts(sample, edges))

    same = psi_against(rng.beta(8, 2, 5_000))
    assert psi_level(same) == "ok"
    assert psi_level(psi_against(rng.beta(4, 3, 5_000))) == "major"
    assert psi_against(rng.beta(7, 2.4, 5_000)) > same


def test_psi_by_hand_on_two_bins():
    # e = (0.5, 0.5), a = (0.8, 0.2): 0.3·ln(1.6) − 0.3·ln(0.4) = 0.3·ln 4
    assert psi([50, 50], [80, 20]) == pytest.approx(0.3 * math.log(4))
    assert psi([1, 1], [7, 7]) == 0.0


def test_psi_floors_empty_bins_at_epsilon():
    expected = (0.5 - 1) * math.log(0.5 / 1) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi([100, 0], [50, 50]) == pytest.approx(expected)
    assert psi([100, 0], [50, 50], epsilon=1e-2) < expected


def test_psi_without_data_or_with_different_bins():
    assert psi([0, 0], [1, 2]) is None
    assert psi([1, 2], [0, 0]) is None
    with pytest.raises(ValueError):
        psi([1, 2], [1, 2, 3])


def test_psi_level():
    assert psi_level(None) == "no_data"
    assert psi_level(0.0999) == "ok"
    assert psi_level(0.1) == "moderate"
    assert psi_level(0.25) == "major"
    assert psi_level(0.2, moderate=0.05, major=0.2) == "major"


def test_quantile_edges_with_ties_are_strictly_increasing():
    rng = np.random.default_rng(5)
    # 60% of confidences at exactly 1.0, as an overconfident model gives.
    values = np.concatenate([np.ones(600), rng.uniform(0.3, 1.0, 400)])
    edges = quantile_edges(values)
    assert all(b > a for a, b in zip(edges, edges[1:], strict=False))
    assert len(edges) < 9
    assert edges[-1] == 1.0
    counts = bin_counts(values, edges)
    assert len(counts) == len(edges) + 1
    assert counts[-1] == 600  # the ties have the last bin to themselves
    assert sum(counts) == len(values)


def test_bin_counts_edges_open_the_bin_to_their_right():
    assert bin_counts([0.1, 0.2, 0.25, 0.3, 0.9, math.nan], [0.2, 0.3]) == [1, 2, 2]
    assert bin_counts([1, 2], []) == [2]
    with pytest.raises(ValueError):
        bin_counts([1], [0.5, 0.5])


def test_quantile_edges_empty_and_single_bin():
    assert quantile_edges([]) == []
    assert quantile_edges([0.1, 0.2], bins=1) == []
    assert quantile_edges(np.arange(100), bins=4) == [24.75, 49.5, 74.25]
