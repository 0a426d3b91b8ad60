"""How much demo data to make: the scale knobs, the seed and the anchor date.

Every size is a knob of :class:`DemoConfig`, so tests can shrink the company to a handful of
reps and customers. The named scales grow linearly: ``medium`` is 10 x ``small``, ``large``
50 x (about 10 million order lines and 1 million opportunities).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

#: scale name -> multiple of the small company
SCALE_FACTORS = {"small": 1, "medium": 10, "large": 50}


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and anchors of one demo data set; the same config and seed give the same rows."""

    seed: int = 42
    #: the last day with data ("today"); history starts on 1 January ``years`` years earlier
    today: dt.date = dataclasses.field(default_factory=dt.date.today)
    years: int = 2
    #: how many sales regions of the catalogue to use (华东, 华北, 华南, 华中, 西南, 西北, 东北)
    regions: int = 7
    reps: int = 40
    customers: int = 1_500
    opportunities: int = 20_000
    #: order lines to aim at (won deals and repeat purchases together; within a few percent)
    order_lines: int = 200_000
    #: leads per opportunity (only new-customer opportunities come from a lead)
    leads_per_opportunity: float = 0.8
    #: activities per opportunity (deal follow-ups) plus account care, in total
    activities_per_opportunity: float = 4.0
    #: feedback responses per order
    feedback_per_order: float = 0.06
    #: rows per bulk-insert chunk
    chunk_rows: int = 1_000_000

    def __post_init__(self) -> None:
        if self.years < 1:
            raise ValueError("years must be at least 1")
        if not 1 <= self.regions <= 7:
            raise ValueError("regions must be between 1 and 7")
        if self.reps < self.regions:
            raise ValueError("need at least one rep per region")
        for name in ("customers", "opportunities", "order_lines"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")

    @property
    def start(self) -> dt.date:
        """The first day of the history: 1 January, ``years`` years before today's year."""
        return dt.date(self.today.year - self.years, 1, 1)

    @property
    def days(self) -> int:
        """Days from ``start`` to ``today``, both included."""
        return (self.today - self.start).days + 1

    @property
    def money_scale(self) -> float:
        """How much bigger the company is than the small one (marketing budgets etc.)."""
        return self.reps / 40

    @classmethod
    def for_scale(cls, scale: str, *, seed: int = 42, today: dt.date | None = None) -> DemoConfig:
        """The config of a named scale (small, medium, large)."""
        if scale not in SCALE_FACTORS:
            raise ValueError(f"unknown scale {scale!r}; one of: {', '.join(SCALE_FACTORS)}")
        f = SCALE_FACTORS[scale]
        return cls(
            seed=seed,
            today=today or dt.date.today(),
            reps=40 * f,
            customers=1_500 * f,
            opportunities=20_000 * f,
            order_lines=200_000 * f,
        )
