"""Sticky traffic routing by hashing a unit id (PostHog's bucketing scheme).

A unit (a ticket id) is hashed together with a salt into a bucket in [0, 1]. Shares are
contiguous bucket ranges, so a unit's answer never changes for the same salt and shares, and
growing a share from 10 % to 20 % keeps every unit that was already in it. Each A/B test has
its own salt so its arms are independent of every other test and of canary shares.

Pure module: no Django, no database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Share", "bucket", "choose_arm", "in_share", "route"]

# 15 hex digits = 60 bits, as PostHog's feature-flag matcher does.
_LONG_SCALE = float(0xFFFFFFFFFFFFFFF)
_TOLERANCE = 1e-9

Arm = Literal["A", "B"]


def bucket(salt: str, unit_id: str | int) -> float:
    """Return the unit's bucket: int(sha1(f"{salt}.{unit_id}")[:15], 16) / 0xFFFFFFFFFFFFFFF.

    The value lies in [0, 1); it equals 1.0 only when the 60-bit prefix is all ones
    (probability 2**-60), which `in_share` treats as inside a 100 % share.
    """
    digest = hashlib.sha1(f"{salt}.{unit_id}".encode()).hexdigest()
    return int(digest[:15], 16) / _LONG_SCALE


def in_share(*, salt: str, unit_id: str | int, percentage: float) -> bool:
    """Whether the unit falls in the first `percentage` % of buckets for this salt."""
    if percentage >= 100:
        return True
    if percentage <= 0:
        return False
    return bucket(salt, unit_id) < percentage / 100


def choose_arm(*, salt: str, unit_id: str | int, split_b_percentage: float) -> Arm:
    """Return "B" for the first `split_b_percentage` % of buckets, "A" for the rest."""
    return "B" if in_share(salt=salt, unit_id=unit_id, percentage=split_b_percentage) else "A"


@dataclass(frozen=True, slots=True)
class Share:
    """A version's slice of traffic, in percent (0..100)."""

    version_id: str
    percentage: float

    def __post_init__(self) -> None:
        if not 0 <= self.percentage <= 100:
            raise ValueError(f"percentage must be within 0..100, got {self.percentage}")


def _as_shares(shares: Iterable[Share | tuple[str, float]]) -> list[Share]:
    result = [s if isinstance(s, Share) else Share(str(s[0]), float(s[1])) for s in shares]
    if not result:
        raise ValueError("at least one share is required")
    total = sum(s.percentage for s in result)
    if abs(total - 100) > _TOLERANCE:
        raise ValueError(f"shares must add up to 100 %, got {total}")
    return result


def route(*, salt: str, unit_id: str | int, shares: Sequence[Share | tuple[str, float]]) -> str:
    """Return the version id whose cumulative bucket range contains the unit.

    `shares` is ordered, e.g. ``[("v2-canary", 10), ("v1-active", 90)]``: buckets [0, 0.1) go
    to the canary and [0.1, 1) to the active version. The percentages must add up to 100.
    Keep the order stable: reordering moves units between versions.
    """
    ordered = _as_shares(shares)
    position = bucket(salt, unit_id)
    cumulative = 0.0
    for share in ordered:
        cumulative += share.percentage / 100
        if share.percentage > 0 and position < cumulative:
            return share.version_id
    # Rounding in the running sum (or a bucket of exactly 1.0): the last non-empty share.
    return next(s.version_id for s in reversed(ordered) if s.percentage > 0)
