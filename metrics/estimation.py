"""Accuracy while labels lag: confidence-based performance estimation (NannyML's CBPE).

Pure module: no Django, no database. With calibrated confidences the expected accuracy of a set
of predictions is the mean confidence of the predicted class, known before any feedback. The
realized accuracy from feedback should then fall within ±3σ/√n of that estimate, σ being the
spread of one correct/incorrect outcome in the reference period. Realized accuracy outside the
band for several periods in a row means the model's confidences no longer match its outcomes
(concept drift).
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


def band_halfwidth(
    *, reference_accuracy: float, n: int, sigmas: float = DEFAULT_SIGMAS
) -> float | None:
    """sigmas · sqrt(p(1 − p)) / sqrt(n), p the reference accuracy; None if n == 0."""
    if not 0 <= reference_accuracy <= 1:
        raise ValueError(f"reference_accuracy must be in 0..1, got {reference_accuracy}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return None
    return sigmas * math.sqrt(reference_accuracy * (1 - reference_accuracy) / n)


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
) -> PeriodEstimate:
    """Estimated accuracy of a period's predictions without feedback, beside the realized one.

    The band, estimated ± band_halfwidth over the ``judged`` outcomes and clipped to [0, 1], is
    where the realized accuracy should fall; there is none without a reference accuracy, an
    estimate or judged outcomes.
    """
    if not 0 <= correct <= judged:
        raise ValueError(f"need 0 <= correct <= judged, got {correct} of {judged}")
    estimated = cbpe_accuracy(confidence_sum=confidence_sum, n=estimated_n)
    realized = correct / judged if judged > 0 else None
    lower = upper = None
    if estimated is not None and reference_accuracy is not None and judged > 0:
        halfwidth = band_halfwidth(reference_accuracy=reference_accuracy, n=judged, sigmas=sigmas)
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
