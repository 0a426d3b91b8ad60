"""The global filter bar: period, comparison and dimension filters, all in the URL.

Every page and every panel endpoint reads the same query string, so a view can be bookmarked
and shared. Bad values never reach the engine: :func:`parse_filters` raises
:class:`FilterError` (a 400 for the API, a friendly message on a page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlencode

from salesops.config import get_settings, local_today
from salesops.metrics.query import DIMENSIONS, Compare, Grain

PeriodKind = Literal[
    "month", "quarter", "year", "fiscal_quarter", "fiscal_year", "last12", "custom"
]
PERIODS: tuple[PeriodKind, ...] = (
    "month",
    "quarter",
    "year",
    "fiscal_quarter",
    "fiscal_year",
    "last12",
    "custom",
)
#: Whole periods targets are set for, and the target grain of each (fiscal ones follow the
#: fiscal year start month; the bar offers them when it is not January).
TARGET_GRAINS: dict[str, Literal["month", "quarter", "year"]] = {
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "fiscal_quarter": "quarter",
    "fiscal_year": "year",
}
COMPARES: tuple[Compare, ...] = ("prev", "yoy")
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
#: Dimensions with a select in the filter bar; any other dimension shows as a removable chip.
BAR_DIMENSIONS = ("region", "team", "rep", "product_line", "channel")
MAX_VALUES = 20
MAX_VALUE_LENGTH = 200


class FilterError(ValueError):
    """A filter value the board cannot use; ``message`` is a msgid, ``params`` fill it in."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


@dataclass(frozen=True)
class BoardFilters:
    """The resolved filters of one request."""

    period: PeriodKind
    start: dt.date
    end: dt.date
    today: dt.date
    compare: Compare
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    grain: Grain | None = None
    asof_given: bool = field(default=False, compare=False)
    fiscal_start: int = 1

    @property
    def fiscal(self) -> bool:
        """True when the fiscal year does not start in January (the bar offers FY periods)."""
        return self.fiscal_start != 1

    @property
    def target_grain(self) -> Literal["month", "quarter", "year"] | None:
        """The grain of the targets the period is a whole one of (None: not a whole period)."""
        return TARGET_GRAINS.get(self.period)

    @property
    def label(self) -> str:
        """The period's name where it has one: ``FY2026``, ``FY2026-Q3`` ("" otherwise)."""
        return fiscal_label(self.period, self.today, self.fiscal_start)

    def fiscal_labels(self) -> dict[str, str]:
        """The names of this fiscal quarter and year (for the bar's choices)."""
        return {k: fiscal_label(k, self.today, self.fiscal_start) for k in _FISCAL}

    def year_window(self) -> tuple[dt.date, dt.date]:
        """The whole (fiscal, for fiscal periods) year that contains the period's end."""
        if self.period in _FISCAL:
            start = _fiscal_start_of(self.end, self.fiscal_start)
            return start, _add_months(start, 12) - dt.timedelta(days=1)
        return dt.date(self.end.year, 1, 1), dt.date(self.end.year, 12, 31)

    # ------------------------------------------------------------------ derived views

    def values(self, dim: str) -> tuple[str, ...]:
        """The values kept for ``dim`` (empty: no filter)."""
        return dict(self.where).get(dim, ())

    def value(self, dim: str) -> str:
        """The single selected value of ``dim`` ("" when none or several)."""
        values = self.values(dim)
        return values[0] if len(values) == 1 else ""

    @property
    def extra_dims(self) -> list[tuple[str, str]]:
        """Filters outside the bar's selects, as (dimension, value) chips."""
        return [(d, v) for d, vs in self.where if d not in BAR_DIMENSIONS for v in vs]

    @property
    def trend_grain(self) -> Grain:
        """The chosen grain, or one that gives a readable number of points for the period."""
        if self.grain:
            return self.grain
        days = (self.end - self.start).days + 1
        if days <= 45:
            return "day"
        if days <= 120:
            return "week"
        if days <= 800:
            return "month"
        return "quarter"

    @property
    def period_end(self) -> dt.date:
        """The natural end of the chosen period (targets cover whole periods)."""
        if self.period == "month":
            return _add_months(self.start, 1) - dt.timedelta(days=1)
        if self.period in ("quarter", "fiscal_quarter"):
            return _add_months(self.start, 3) - dt.timedelta(days=1)
        if self.period in ("year", "fiscal_year"):
            return _add_months(self.start, 12) - dt.timedelta(days=1)
        return self.end

    def with_where(self, dim: str, values: Sequence[str]) -> BoardFilters:
        """These filters with ``dim`` set to ``values`` (empty removes it)."""
        kept = [(d, v) for d, v in self.where if d != dim]
        if values:
            kept.append((dim, tuple(values)))
        return replace(self, where=tuple(sorted(kept)))

    def params(self, **overrides: str | None) -> dict[str, str | list[str]]:
        """Query parameters reproducing these filters (``overrides`` set or, as None, drop)."""
        out: dict[str, str | list[str]] = {"period": self.period}
        if self.period == "custom":
            out["from"] = self.start.isoformat()
            out["to"] = self.end.isoformat()
        out["compare"] = self.compare
        if self.grain:
            out["grain"] = self.grain
        if self.asof_given:
            out["asof"] = self.today.isoformat()
        for dim, values in self.where:
            out[dim] = list(values)
        for key, val in overrides.items():
            if val is None:
                out.pop(key, None)
            else:
                out[key] = val
        return out

    def query_string(self, **overrides: str | None) -> str:
        """``params`` encoded for a URL (without the leading ``?``)."""
        return urlencode(self.params(**overrides), doseq=True)

    def as_json(self) -> dict[str, object]:
        """What the panel endpoints echo back."""
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "compare": self.compare,
            "grain": self.trend_grain,
            "where": {d: list(v) for d, v in self.where},
        }


# ---------------------------------------------------------------------------- parsing


def today_in_zone() -> dt.date:
    """Today in the configured time zone (the board's "now")."""
    return local_today()


def _parse_date(text: str | None, name: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(
            "{name} must be a date like 2026-01-31, not {value!r}.", name=name, value=text[:40]
        ) from None
    if not dt.date(1900, 1, 1) <= value <= dt.date(2200, 12, 31):
        raise FilterError("{name} is out of range: {value}.", name=name, value=value.isoformat())
    return value


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


_FISCAL = ("fiscal_quarter", "fiscal_year")


def _fiscal_start_of(day: dt.date, fiscal_start: int) -> dt.date:
    """The first day of the fiscal year containing ``day``."""
    year = day.year if day.month >= fiscal_start else day.year - 1
    return dt.date(year, fiscal_start, 1)


def fiscal_label(kind: str, today: dt.date, fiscal_start: int) -> str:
    """``FY2026`` / ``FY2026-Q3`` for the fiscal period of ``kind`` containing ``today``
    (named after the calendar year the fiscal year starts in); "" for other kinds."""
    if kind not in _FISCAL:
        return ""
    start = _fiscal_start_of(today, fiscal_start)
    if kind == "fiscal_year":
        return f"FY{start.year}"
    quarter = ((today.year - start.year) * 12 + today.month - start.month) // 3 + 1
    return f"FY{start.year}-Q{quarter}"


def period_bounds(
    kind: PeriodKind, today: dt.date, fiscal_start: int = 1
) -> tuple[dt.date, dt.date]:
    """The period of ``kind`` up to and including ``today`` (to date: month, quarter, year,
    fiscal quarter, fiscal year)."""
    if kind in _FISCAL:
        start = _fiscal_start_of(today, fiscal_start)
        if kind == "fiscal_quarter":
            months = (today.year - start.year) * 12 + today.month - start.month
            start = _add_months(start, months // 3 * 3)
        return start, today
    if kind == "month":
        return today.replace(day=1), today
    if kind == "quarter":
        return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if kind == "year":
        return dt.date(today.year, 1, 1), today
    # last12: the eleven full months before this one, and this one to date
    return _add_months(today.replace(day=1), -11), today


def parse_filters(
    params: Mapping[str, Sequence[str]], *, today: dt.date | None = None
) -> BoardFilters:
    """Validate a query string (each key to its list of values) into :class:`BoardFilters`."""

    def one(name: str) -> str | None:
        values = [v for v in params.get(name, ()) if v != ""]
        return values[-1] if values else None

    asof = _parse_date(one("asof"), "asof")
    fiscal_start = get_settings().fiscal_year_start_month
    ref = asof or today or today_in_zone()
    period_text = one("period") or ("custom" if one("from") or one("to") else "year")
    if period_text not in PERIODS:
        raise FilterError("Unknown period {value!r}.", value=period_text[:40])
    period: PeriodKind = period_text
    if period == "custom":
        start = _parse_date(one("from"), "from")
        end = _parse_date(one("to"), "to")
        if start is None or end is None:
            raise FilterError("A custom period needs both a start and an end date.")
        if start > end:
            raise FilterError("The period starts after it ends.")
    else:
        start, end = period_bounds(period, ref, fiscal_start)
    yearly = ("year", "fiscal_year", "last12")
    compare_text = one("compare") or ("yoy" if period in yearly else "prev")
    if compare_text not in COMPARES:
        raise FilterError("Unknown comparison {value!r}.", value=compare_text[:40])
    grain_text = one("grain")
    if grain_text is not None and grain_text not in GRAINS:
        raise FilterError("Unknown grain {value!r}.", value=grain_text[:40])
    where: list[tuple[str, tuple[str, ...]]] = []
    for dim in DIMENSIONS:
        values = tuple(dict.fromkeys(v.strip() for v in params.get(dim, ()) if v.strip()))
        if not values:
            continue
        if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_LENGTH for v in values):
            raise FilterError("Too many or too long values for {name}.", name=dim)
        where.append((dim, values))
    return BoardFilters(
        period=period,
        start=start,
        end=end,
        today=ref,
        compare=compare_text,
        where=tuple(sorted(where)),
        grain=grain_text if grain_text else None,
        asof_given=asof is not None,
        fiscal_start=fiscal_start,
    )


def multi_params(items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Group ``(key, value)`` pairs of a query string by key."""
    grouped: dict[str, list[str]] = {}
    for key, val in items:
        grouped.setdefault(key, []).append(val)
    return grouped
