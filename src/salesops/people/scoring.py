"""Scorecard arithmetic: one item's score, and a rep's weighted score (pure functions).

* ``target``: value / target × 100, capped at :data:`TARGET_CAP` (for a KPI where less is
  better — sales cycle, overdue receivables — target / value × 100);
* ``bands``: the score of the highest band whose lower bound the value reaches
  (``[[0, 0], [0.2, 60], [0.3, 80], [0.4, 100]]``); below the first band: 0;
* ``rating``: the manager's rating (0–100) as entered.

A missing part (no value, no target, no rating yet) is left out and the other weights count
in full (``missing: skip``, the default), or counts as 0 (``missing: zero``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Scoring = Literal["target", "bands", "rating"]
Missing = Literal["skip", "zero"]
TARGET_CAP = Decimal(120)
HUNDRED = Decimal(100)


def target_score(value: Decimal, target: Decimal, *, less_is_better: bool = False) -> Decimal:
    """value / target × 100 (target / value for a KPI where less is better), capped at 120."""
    if less_is_better:
        if value <= 0:
            return TARGET_CAP
        ratio = target / value
    else:
        if target <= 0:
            raise ValueError("a target to score against must be above 0")
        ratio = value / target
    return min(max(ratio * HUNDRED, Decimal(0)), TARGET_CAP)


def band_score(value: Decimal, bands: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The score of the highest band whose lower bound ``value`` reaches (0 below all)."""
    score = Decimal(0)
    for low, band in sorted(bands):
        if value >= low:
            score = band
    return score


@dataclass(frozen=True)
class Part:
    """One item of a rep's scorecard: its value, what it was scored against, its score."""

    code: str
    label: str
    kind: str
    weight: Decimal
    value: Decimal | None
    against: Decimal | None  # the target (target scoring)
    score: Decimal | None  # None: missing
    comment: str | None = None


def weighted(parts: Sequence[Part], missing: Missing = "skip") -> Decimal | None:
    """Σ weight × score / Σ weight over the parts that count (see the module docstring);
    rounded to 2 places; None when no part counts."""
    num = Decimal(0)
    den = Decimal(0)
    for part in parts:
        if part.score is None:
            if missing == "skip":
                continue
            score = Decimal(0)
        else:
            score = part.score
        num += part.weight * score
        den += part.weight
    if den == 0:
        return None
    return (num / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
