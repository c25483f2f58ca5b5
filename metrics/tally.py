"""The figures of a set of inferences, summed so that two tallies merge into the tally of both
(pure: no database). An hourly rollup stores one; the live hour is tallied from raw rows."""

from collections import Counter
from dataclasses import dataclass, field, fields
from decimal import Decimal

from metrics import latency

# Field names shared with metrics.models.MetricRollup.
SUMMED = (
    "inferences",
    "errors",
    "correct",
    "incorrect",
    "confidence_sum",
    "confidence_count",
    "unjudged_confidence_sum",
    "unjudged_count",
    "unjudged_expected_correct",
    "latency_sum_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "used",
)

# The columns of an inference log row that `Tally.add_row` reads, in this order.
ROW_FIELDS = (
    "latency_ms",
    "success",
    "outcome",
    "confidence",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "predicted_label",
)


def _bin(value: float, edges: list[float]) -> int:
    # numpy.searchsorted(edges, value, side="right") without numpy per row.
    low, high = 0, len(edges)
    while low < high:
        middle = (low + high) // 2
        if value < edges[middle]:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass
class Tally:
    inferences: int = 0
    errors: int = 0
    correct: int = 0
    incorrect: int = 0
    confidence_sum: float = 0.0
    confidence_count: int = 0
    unjudged_confidence_sum: float = 0.0
    unjudged_count: int = 0
    # Sum over the unjudged predictions of their chance of being right: the holdout's accuracy
    # in their confidence bin where the version has one, else the raw confidence.
    unjudged_expected_correct: float = 0.0
    latency_sum_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)
    used: int = 0
    latency_histogram: list[int] = field(
        default_factory=lambda: [0] * (len(latency.BUCKET_BOUNDS_MS) + 1)
    )
    label_counts: Counter = field(default_factory=Counter)
    confidence_bins: list[int] = field(default_factory=list)

    def add_row(
        self,
        row: tuple,
        *,
        confidence_edges: list[float] | None = None,
        bin_accuracy: list[float] | None = None,
    ) -> None:
        """Count one inference log row (columns as ROW_FIELDS). `confidence_edges`: the inner
        edges of the version's holdout-confidence bins, and `bin_accuracy` the holdout's
        accuracy in each (both when the version has them)."""
        latency_ms, success, outcome, confidence, tokens_in, tokens_out, cost, label = row
        self.inferences += 1
        self.errors += not success
        self.correct += outcome == "correct"
        self.incorrect += outcome == "incorrect"
        self.latency_sum_ms += latency_ms
        self.latency_histogram[latency.bucket_index(latency_ms)] += 1
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        self.cost_usd += Decimal(cost)
        if label:
            self.label_counts[label] += 1
        if confidence is not None and success:
            self.confidence_sum += confidence
            self.confidence_count += 1
            unjudged = outcome not in ("correct", "incorrect")
            index = None
            if confidence_edges is not None:
                if not self.confidence_bins:
                    self.confidence_bins = [0] * (len(confidence_edges) + 1)
                index = _bin(confidence, confidence_edges)
                self.confidence_bins[index] += 1
            if unjudged:
                self.unjudged_confidence_sum += confidence
                self.unjudged_count += 1
                calibrated = index is not None and bin_accuracy and len(bin_accuracy) > index
                self.unjudged_expected_correct += bin_accuracy[index] if calibrated else confidence

    def merge(self, other: "Tally") -> "Tally":
        """Add `other` into this tally."""
        self.__dict__.update(Tally.total([self, other]).__dict__)
        return self

    @classmethod
    def total(cls, tallies: list["Tally"]) -> "Tally":
        """The tally of all of them, in one pass (cheaper than merging them pairwise)."""
        result = cls()
        for name in SUMMED:
            setattr(result, name, sum((getattr(t, name) for t in tallies), getattr(result, name)))
        result.latency_histogram = latency.merge(t.latency_histogram for t in tallies)
        labels = result.label_counts
        for tally in tallies:
            for label, count in tally.label_counts.items():
                labels[label] = labels.get(label, 0) + count
        bins = [t.confidence_bins for t in tallies if t.confidence_bins]
        if bins and all(len(b) == len(bins[0]) for b in bins):
            result.confidence_bins = [sum(column) for column in zip(*bins, strict=True)]
        return result

    @classmethod
    def from_values(cls, values: dict) -> "Tally":
        """From a rollup's stored fields (a `.values()` row or a dict of them)."""
        known = {f.name for f in fields(cls)}
        tally = cls(**{k: v for k, v in values.items() if k in known})
        tally.label_counts = Counter(tally.label_counts)
        tally.cost_usd = Decimal(tally.cost_usd)
        return tally

    def stored_fields(self) -> dict:
        return {
            **{name: getattr(self, name) for name in SUMMED},
            "latency_histogram": self.latency_histogram,
            "label_counts": dict(self.label_counts),
            "confidence_bins": self.confidence_bins,
        }

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.inferences if self.inferences else None

    @property
    def average_confidence(self) -> float | None:
        return self.confidence_sum / self.confidence_count if self.confidence_count else None

    def latency_percentile(self, q: float) -> float | None:
        return latency.percentile(self.latency_histogram, q)
