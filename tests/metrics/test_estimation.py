"""CBPE: the label-free accuracy estimate, its band, and concept drift on simulated traffic."""

import math

import numpy as np
import pytest

from metrics.estimation import (
    PeriodEstimate,
    band_halfwidth,
    cbpe_accuracy,
    concept_drift,
    period_estimate,
)

PERIODS = 20
PER_PERIOD = 400


def simulate(rng, *, accuracy_drop: float = 0.0) -> list[PeriodEstimate]:
    """A calibrated model (correct ~ Bernoulli(c)) unless accuracy drops below its confidences."""
    reference_c = rng.uniform(0.5, 1.0, 5_000)
    reference_accuracy = float(np.mean(rng.random(5_000) < reference_c))
    periods = []
    for i in range(PERIODS):
        confidence = rng.uniform(0.5, 1.0, PER_PERIOD)
        correct = rng.random(PER_PERIOD) < confidence - accuracy_drop
        labelled = rng.permutation(PER_PERIOD) < PER_PERIOD // 2
        periods.append(
            period_estimate(
                start=f"2026-01-01T{i:02d}:00:00Z",
                confidence_sum=float(confidence[~labelled].sum()),
                estimated_n=int((~labelled).sum()),
                correct=int(correct[labelled].sum()),
                judged=int(labelled.sum()),
                reference_accuracy=reference_accuracy,
            )
        )
    return periods


def test_calibrated_model_stays_within_its_band():
    periods = simulate(np.random.default_rng(11))
    inside = sum(not p.outside_band for p in periods)
    assert inside >= 19
    assert not concept_drift(periods)
    assert all(p.estimated == pytest.approx(0.75, abs=0.05) for p in periods)


def test_accuracy_dropping_below_confidence_is_concept_drift():
    periods = simulate(np.random.default_rng(11), accuracy_drop=0.15)
    outside = sum(p.outside_band for p in periods)
    assert outside >= 15
    assert all(p.realized < p.lower for p in periods if p.outside_band)
    assert concept_drift(periods)


def test_band_halfwidth_by_hand():
    # 3 · sqrt(0.8 · 0.2) / sqrt(100) = 3 · 0.4 / 10
    assert band_halfwidth(reference_accuracy=0.8, n=100) == pytest.approx(0.12)
    assert band_halfwidth(reference_accuracy=0.8, n=100, sigmas=2) == pytest.approx(0.08)
    assert band_halfwidth(reference_accuracy=0.8, n=0) is None
    with pytest.raises(ValueError):
        band_halfwidth(reference_accuracy=1.2, n=10)


def test_cbpe_accuracy():
    assert cbpe_accuracy(confidence_sum=7.5, n=10) == 0.75
    assert cbpe_accuracy(confidence_sum=0.0, n=0) is None


def test_period_estimate_band_is_for_the_judged_outcomes_and_clipped():
    estimate = period_estimate(
        start="s",
        confidence_sum=90.0,
        estimated_n=100,
        correct=30,
        judged=36,
        reference_accuracy=0.8,
    )
    halfwidth = 3 * math.sqrt(0.8 * 0.2 / 36)
    assert estimate.estimated == 0.9
    assert estimate.realized == pytest.approx(30 / 36)
    assert estimate.realized_n == 36
    assert estimate.lower == pytest.approx(0.9 - halfwidth)
    assert estimate.upper == 1.0  # 0.9 + 0.2 clipped
    assert not estimate.outside_band


@pytest.mark.parametrize(
    "changes",
    [
        {"reference_accuracy": None},
        {"judged": 0, "correct": 0},
        {"estimated_n": 0, "confidence_sum": 0.0},
    ],
)
def test_period_estimate_without_band(changes):
    kwargs = {
        "start": "s",
        "confidence_sum": 80.0,
        "estimated_n": 100,
        "correct": 10,
        "judged": 50,
        "reference_accuracy": 0.8,
    } | changes
    estimate = period_estimate(**kwargs)
    assert estimate.lower is None and estimate.upper is None
    assert not estimate.outside_band


def period(outside: bool) -> PeriodEstimate:
    return PeriodEstimate(
        start="s",
        estimated=0.8,
        estimated_n=100,
        realized=0.5 if outside else 0.8,
        realized_n=100,
        lower=0.7,
        upper=0.9,
    )


def test_concept_drift_needs_a_run():
    assert not concept_drift([period(True), period(False), period(True)])
    assert concept_drift([period(False), period(True), period(True)])
    assert concept_drift([period(True)], run=1)
    assert not concept_drift([period(True), period(True)], run=3)
    assert not concept_drift([])


def test_fill_bins_borrows_the_nearest_known_bin():
    from metrics.estimation import fill_bins

    assert fill_bins([None, 0.5, None, None, 0.9]) == [0.5, 0.5, 0.5, 0.9, 0.9]
    assert fill_bins([None, None]) is None
    assert fill_bins(None) is None


def test_band_counts_the_reference_error_when_the_estimate_rests_on_it():
    plain = band_halfwidth(reference_accuracy=0.9, n=1000)
    with_reference = band_halfwidth(reference_accuracy=0.9, n=1000, reference_n=1000)
    assert with_reference == pytest.approx(plain * 2**0.5)


def test_an_overconfident_model_is_estimated_from_the_holdouts_accuracy_per_bin():
    """Confidences 0.95 where the model is right 90% of the time: the raw mean confidence
    overestimates by 5 points; the holdout-binned estimate does not."""
    from metrics.tally import Tally

    rng = np.random.default_rng(3)
    edges, bin_accuracy = [0.8], [0.6, 0.9]  # holdout: 60% right below 0.8, 90% above
    raw, calibrated = Tally(), Tally()
    right = 0
    for _ in range(4000):
        low = rng.random() < 0.25
        confidence = 0.7 if low else 0.95
        right += rng.random() < (0.6 if low else 0.9)
        row = (1.0, True, "unknown", confidence, 0, 0, 0, "a")
        raw.add_row(row)
        calibrated.add_row(row, confidence_edges=edges, bin_accuracy=bin_accuracy)
    truth = right / 4000
    assert raw.unjudged_expected_correct / 4000 - truth > 0.04
    assert abs(calibrated.unjudged_expected_correct / 4000 - truth) < 0.02
