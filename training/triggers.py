"""Retrain triggers: which reasons hold for one org's task (pure: no database access).

The facts come from `training.selectors.retrain_facts` (one org) or `retrain_facts_all`
(every org, one aggregate query per criterion); the policy is a `RetrainPolicy` (saved or
the defaults), read attribute by attribute.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["FIRST_RUN_MIN_EXAMPLES", "RetrainFacts", "RetrainReason", "should_retrain"]

# A task never trained is scheduled once it has this many validated examples (the least a
# run accepts), so a handful of early examples do not start runs that can only fail.
FIRST_RUN_MIN_EXAMPLES = 10


@dataclass(frozen=True)
class RetrainFacts:
    last_run_at: datetime | None  # newest run of any status
    busy: bool  # a run is queued or running
    new_examples: int  # approved since the last run (all approved when there is none)
    correct: int  # judged predictions in the accuracy window after the last run
    incorrect: int

    @property
    def judged(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.judged if self.judged else None


@dataclass(frozen=True)
class RetrainReason:
    trigger: str  # a RunTrigger value
    message: str
    values: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def should_retrain(*, policy: Any, facts: RetrainFacts, now: datetime) -> list[RetrainReason]:
    """Every reason that holds, most urgent first (accuracy, data volume, schedule).

    - accuracy: at least `accuracy_min_samples` judged predictions in the window (and after
      the last run, so one bad window triggers one run) with accuracy below the threshold;
    - data volume: at least `min_new_examples` validated examples since the last run;
    - schedule: `interval_hours` since the last run and some new data, or never trained and
      at least `FIRST_RUN_MIN_EXAMPLES` validated examples.
    """
    reasons = []
    if (
        facts.judged
        and facts.judged >= policy.accuracy_min_samples
        and facts.accuracy < policy.accuracy_threshold
    ):
        reasons.append(
            RetrainReason(
                trigger="accuracy",
                message=(
                    f"Accuracy {facts.accuracy:.3f} over {facts.judged} judged predictions in "
                    f"the last {policy.accuracy_window_hours} h is below "
                    f"{policy.accuracy_threshold}."
                ),
                values={
                    "accuracy": round(facts.accuracy, 6),
                    "judged": facts.judged,
                    "threshold": policy.accuracy_threshold,
                },
            )
        )
    if facts.new_examples >= policy.min_new_examples:
        reasons.append(
            RetrainReason(
                trigger="data_volume",
                message=(
                    f"{facts.new_examples} new validated examples since the last run "
                    f"(threshold {policy.min_new_examples})."
                ),
                values={"new_examples": facts.new_examples, "threshold": policy.min_new_examples},
            )
        )
    elapsed = None if facts.last_run_at is None else now - facts.last_run_at
    if (elapsed is None and facts.new_examples >= FIRST_RUN_MIN_EXAMPLES) or (
        elapsed is not None
        and facts.new_examples > 0
        and elapsed >= timedelta(hours=policy.interval_hours)
    ):
        hours = None if elapsed is None else round(elapsed.total_seconds() / 3600, 2)
        reasons.append(
            RetrainReason(
                trigger="schedule",
                message=(
                    "Never trained, and there is validated data."
                    if elapsed is None
                    else f"{hours} h since the last run (interval {policy.interval_hours} h) "
                    f"with {facts.new_examples} new validated examples."
                ),
                values={
                    "hours_since_last_run": hours,
                    "interval_hours": policy.interval_hours,
                    "new_examples": facts.new_examples,
                },
            )
        )
    return reasons
