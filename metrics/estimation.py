"""Accuracy while labels lag: confidence-based performance estimation (NannyML's CBPE).

Pure module: no Django, no database. With calibrated confidences the expected accuracy of a set
of predictions is the mean confidence of the predicted class, known before any feedback. The
realized accuracy from feedback should then fall within ±3σ/√n of that estimate, σ being the
spread of one correct/incorrect outcome in the reference period. Realized accuracy outside the
band for several periods in a row means the model's confidences no longer match its outcomes
(concept drift).

Served confidences are often not calibrated on live traffic (on BANKING77 test the fast
profile's mean confidence was 0.947 against an accuracy of 0.902), so where the version's
reference has the holdout's accuracy per confidence bin, the estimate maps each prediction's
bin to that accuracy (histogram-binning calibration on the reference, as NannyML calibrates on
its reference period) instead of trusting the raw confidence; the band then also counts the
reference's own sampling error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_SIGMAS = 3.0


def cbpe_accuracy(*, confidence_sum: float, n: int) -> float | None:
    """Mean calibrated probability of the predicted class over n predictions; None if n == 0."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return confidence_sum / n if n > 0 else None


def fill_bins(bin_accuracy: Sequence[float | None] | None) -> list[float] | None:
    """The reference's accuracy per confidence bin, a bin it left empty (None) borrowing its
    nearest neighbour's; None when no bin is known."""
    known = [(i, a) for i, a in enumerate(bin_accuracy or []) if a is not None]
    if not known:
        return None
    return [min(known, key=lambda pair: abs(pair[0] - i))[1] for i in range(len(bin_accuracy))]


def band_halfwidth(
    *,
    reference_accuracy: float,
    n: int,
    sigmas: float = DEFAULT_SIGMAS,
    reference_n: int | None = None,
) -> float | None:
    """sigmas · sqrt(p(1 − p)/n), p the reference accuracy; with `reference_n`, the error of
    an estimate resting on the reference is added: sigmas · sqrt(p(1 − p)(1/n + 1/n_ref)).
    None if n == 0."""
    if not 0 <= reference_accuracy <= 1:
        raise ValueError(f"reference_accuracy must be in 0..1, got {reference_accuracy}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return None
    inverse = 1 / n + (1 / reference_n if reference_n else 0)
    return sigmas * math.sqrt(reference_accuracy * (1 - reference_accuracy) * inverse)


@dataclass(frozen=True)
class PeriodEstimate:
    start: str
    estimated: float | None
    estimated_n: int
    realized: float | None
    realized_n: int
    lower: float | None
    upper: float | None

    @property
    def outside_band(self) -> bool:
        if self.realized is None or self.lower is None or self.upper is None:
            return False
        return self.realized < self.lower or self.realized > self.upper


def period_estimate(
    *,
    start: str,
    confidence_sum: float,
    estimated_n: int,
    correct: int,
    judged: int,
    reference_accuracy: float | None,
    sigmas: float = DEFAULT_SIGMAS,
    reference_n: int | None = None,
) -> PeriodEstimate:
    """Estimated accuracy of a period's predictions without feedback, beside the realized one.

    The band, estimated ± band_halfwidth over the ``judged`` outcomes and clipped to [0, 1], is
    where the realized accuracy should fall; there is none without a reference accuracy, an
    estimate or judged outcomes. `confidence_sum` is the sum of the unjudged predictions'
    (calibrated) probabilities of being right; when they were calibrated on a reference of
    `reference_n` outcomes, the band counts that reference's error too.
    """
    if not 0 <= correct <= judged:
        raise ValueError(f"need 0 <= correct <= judged, got {correct} of {judged}")
    estimated = cbpe_accuracy(confidence_sum=confidence_sum, n=estimated_n)
    realized = correct / judged if judged > 0 else None
    lower = upper = None
    if estimated is not None and reference_accuracy is not None and judged > 0:
        halfwidth = band_halfwidth(
            reference_accuracy=reference_accuracy, n=judged, sigmas=sigmas, reference_n=reference_n
        )
        lower = max(0.0, estimated - halfwidth)
        upper = min(1.0, estimated + halfwidth)
    return PeriodEstimate(
        start=start,
        estimated=estimated,
        estimated_n=estimated_n,
        realized=realized,
        realized_n=judged,
        lower=lower,
        upper=upper,
    )


def concept_drift(periods: Sequence[PeriodEstimate], *, run: int = 2) -> bool:
    """True when ``run`` consecutive periods (in the given order) are outside their bands.

    A period without a band breaks a run.
    """
    if run < 1:
        raise ValueError(f"run must be >= 1, got {run}")
    streak = 0
    for period in periods:
        streak = streak + 1 if period.outside_band else 0
        if streak >= run:
            return True
    return False
