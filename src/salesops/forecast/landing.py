"""Where a period will land: closed to date + the open pipeline expected to close in it +
new business expected to be created and closed within it, with a range, against the target.

The arithmetic (:func:`landing`, :func:`roll_up`, :func:`category`) is plain Python on plain
numbers, tested by hand. :func:`landing_as_of` gathers its inputs from what was known as of a
day (:mod:`salesops.forecast.data`), so the same function makes today's forecast and every
backtest forecast.

Pipeline term
    Each deal open at ``as_of`` contributes ``amount x p_win x timing``: ``p_win`` is the deal's
    win probability (the win model, or the stage probability), ``timing`` the share of won
    amount that, in the last :data:`PAST_PERIODS` periods, closed within the period among deals
    open at the same point of that period, split by whether the deal's expected close date
    fell inside the period or after it.
New business
    The mean, over the last :data:`PAST_PERIODS` ended periods, of the amount won in the rest
    of the period by deals created after the same point of that period.
Range
    ``expected +- z x sd`` with ``sd`` the spread of a sum of independent win/lose outcomes
    (``amount^2 x q(1-q)`` per deal), of past new business, and of the close timing from period
    to period (which moves all deals together); z = 1.2816 gives an 80 % range. Whether 80 % of
    outcomes really fall inside is measured in the backtest.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from salesops.targets.calendar import Period, add_months

Category = Literal["closed", "commit", "best_case", "pipeline", "omitted"]
CATEGORIES: tuple[Category, ...] = ("closed", "commit", "best_case", "pipeline", "omitted")
#: Values a CRM's forecast-category field may carry, mapped to ours.
CRM_CATEGORIES: dict[str, Category] = {
    "commit": "commit",
    "closed": "closed",
    "best case": "best_case",
    "best_case": "best_case",
    "bestcase": "best_case",
    "upside": "best_case",
    "pipeline": "pipeline",
    "omitted": "omitted",
    "omit": "omitted",
}
PAST_PERIODS = 4
Z80 = 1.2815515655446004


@dataclass(frozen=True)
class Bands:
    """Probability bands that put an open deal expected to close in the period into a
    category when no CRM forecast category was imported: ``p >= commit`` is commit,
    ``p >= best_case`` best case, ``p >= pipeline`` pipeline, below that omitted."""

    commit: float = 0.7
    best_case: float = 0.4
    pipeline: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.pipeline <= self.best_case <= self.commit <= 1:
            raise ValueError(
                "forecast bands must satisfy 0 <= pipeline <= best_case <= commit <= 1"
            )

    @classmethod
    def parse(cls, text: str) -> Bands:
        """``commit=0.7,best_case=0.4,pipeline=0.1`` (any subset; the rest default)."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, raw = part.partition("=")
            key = key.strip()
            if key not in ("commit", "best_case", "pipeline"):
                raise ValueError(f"unknown forecast band {key!r}; use commit, best_case, pipeline")
            try:
                values[key] = float(raw)
            except ValueError:
                raise ValueError(f"forecast band {key!r} needs a number, not {raw!r}") from None
        return cls(**values)


def category(
    probability: float | None,
    expected_close: dt.date | None,
    period_end: dt.date,
    bands: Bands,
    crm: str | None = None,
) -> Category:
    """The forecast category of one open deal: a deal not expected to close by the period's
    end is omitted (a CRM's category is that of the deal's own close period); else the CRM's
    category when it has one (``closed`` on a deal still open counts as commit), else by band."""
    if expected_close is None or expected_close > period_end:
        return "omitted"
    if crm:
        mapped = CRM_CATEGORIES.get(crm.strip().lower())
        if mapped is not None:
            return "commit" if mapped == "closed" else mapped
    p = probability or 0.0
    if p >= bands.commit:
        return "commit"
    if p >= bands.best_case:
        return "best_case"
    if p >= bands.pipeline:
        return "pipeline"
    return "omitted"


def roll_up(closed: float, deals: Iterable[tuple[float, Category]]) -> dict[str, float]:
    """Amounts per category and the cumulative calls: ``commit_total`` = closed + commit,
    ``best_case_total`` = that + best case, ``pipeline_total`` = that + pipeline."""
    sums: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    sums["closed"] = float(closed)
    for amount, cat in deals:
        if cat == "closed":
            sums["closed"] += amount
        else:
            sums[cat] += amount
    sums["commit_total"] = sums["closed"] + sums["commit"]
    sums["best_case_total"] = sums["commit_total"] + sums["best_case"]
    sums["pipeline_total"] = sums["best_case_total"] + sums["pipeline"]
    return sums


@dataclass
class Landing:
    """A landing forecast for one period and scope, made as of ``as_of``."""

    period: str
    as_of: dt.date
    method: str
    closed_to_date: float
    pipeline_expected: float
    new_expected: float
    expected: float
    low: float
    high: float
    target: float | None = None
    categories: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Expected minus target (negative: short of it); None without a target."""
        return None if self.target is None else self.expected - self.target

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out["gap"] = self.gap
        return out


def landing(
    closed_to_date: float,
    deals: Sequence[tuple[float, float, float]],
    new_mean: float,
    new_sd: float,
    *,
    z: float = Z80,
    systematic_sd: float = 0.0,
) -> tuple[float, float, float, float]:
    """``(expected, low, high, pipeline_expected)`` from the closed amount, open deals as
    ``(amount, p_win, timing)``, the expected new business with its spread, and the spread of
    errors that move every deal together (``systematic_sd``: close timing that varies from
    period to period)."""
    pipeline = 0.0
    variance = new_sd**2 + systematic_sd**2
    for amount, p, t in deals:
        q = min(max(p * t, 0.0), 1.0)
        pipeline += amount * q
        variance += amount * amount * q * (1 - q)
    expected = closed_to_date + pipeline + new_mean
    sd = math.sqrt(variance)
    low = max(closed_to_date, expected - z * sd)
    return expected, low, expected + z * sd, pipeline


def origin_in(period: Period, as_of: dt.date) -> int:
    """How many whole months of ``period`` have passed at ``as_of`` (0 before its first
    month ends); the same point of an earlier period is its start plus that many months."""
    months = 0
    while months < 12 and add_months(period.start, months + 1) - dt.timedelta(days=1) <= as_of:
        months += 1
    return months


def earlier(period: Period, k: int) -> Period:
    """The period of the same grain ``k`` periods before."""
    step = {"month": 1, "quarter": 3, "year": 12}[period.grain]
    return Period(add_months(period.start, -step * k), period.grain)


def same_point(period: Period, months: int) -> dt.date:
    """The day before ``period`` starts plus ``months`` whole months (a month end)."""
    return add_months(period.start, months) - dt.timedelta(days=1)
