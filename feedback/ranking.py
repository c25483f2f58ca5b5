"""The "label these" queue's ranking: pure arithmetic, no database.

A reviewer's label on a prediction is worth what it is expected to fix, so a prediction's
expected gain is the product of three factors:

- **uncertainty** = 1 - confidence: a confident prediction is rarely wrong, so confirming it
  teaches little (only the top confidence is stored, not the margin to the runner-up; an
  unknown confidence counts as fully uncertain);
- **traffic share** of the predicted class in a recent window: fixing what the model does on
  a frequent class improves more of tomorrow's predictions than fixing a rare one;
- **error rate** of the predicted class, smoothed: (incorrect + 1) / (judged + 2), the mean
  of a Beta(1, 1) prior updated with the class's judged outcomes. A class nobody has judged
  then counts as a coin flip (0.5) instead of a perfect 0, so it is not starved of labels
  forever, and a class judged once or twice is not ranked on a 0% or 100% it has not earned.

The product is an expected count of mistakes per prediction that a label addresses, so an
hour of review spent top-down buys the most accuracy.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# Beta(1, 1): one imaginary error and one imaginary success per class (Laplace's rule).
PRIOR_INCORRECT = 1
PRIOR_JUDGED = 2


def uncertainty(confidence: float | None) -> float:
    """1 - confidence, clamped to 0..1; an unknown confidence is fully uncertain."""
    if confidence is None:
        return 1.0
    return min(1.0, max(0.0, 1.0 - float(confidence)))


def traffic_share(*, count: int, total: int) -> float:
    """The class's share of its task's predictions in the window (0 without any)."""
    return count / total if total > 0 else 0.0


def error_rate(*, incorrect: int, judged: int) -> float:
    """Smoothed share of the class's judged predictions that were wrong (Beta(1, 1) prior)."""
    return (incorrect + PRIOR_INCORRECT) / (judged + PRIOR_JUDGED)


def expected_gain(*, confidence: float | None, share: float, error: float) -> float:
    return uncertainty(confidence) * share * error


@dataclass(frozen=True)
class ClassStats:
    """One predicted class of one organization's task: its predictions in the traffic window,
    and its judged outcomes (correct + incorrect) and the incorrect among them."""

    count: int = 0
    judged: int = 0
    incorrect: int = 0


@dataclass(frozen=True)
class Scored:
    """A candidate with its factors: `key` is the caller's, (group, class) picks its stats."""

    key: object
    share: float
    error: float
    gain: float


def rank(
    candidates: Iterable[tuple[object, object, str, float | None]],
    stats: dict[tuple[object, str], ClassStats],
    *,
    limit: int | None = None,
) -> list[Scored]:
    """Score each candidate (key, group, predicted class, confidence) against its group's
    class stats (a group is an organization's task) and return them by expected gain, highest
    first; ties keep the candidates' order (give them newest first)."""
    totals: dict[object, int] = {}
    for (group, _), row in stats.items():
        totals[group] = totals.get(group, 0) + row.count
    scored = []
    for key, group, label, confidence in candidates:
        row = stats.get((group, label), ClassStats())
        share = traffic_share(count=row.count, total=totals.get(group, 0))
        error = error_rate(incorrect=row.incorrect, judged=row.judged)
        gain = expected_gain(confidence=confidence, share=share, error=error)
        scored.append(Scored(key=key, share=share, error=error, gain=gain))
    scored.sort(key=lambda s: -s.gain)  # stable: ties stay newest first
    return scored if limit is None else scored[:limit]
