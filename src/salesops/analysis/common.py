"""What every analysis shares: filters, as-of dates, money in results, per-order facts.

Every analysis takes ``engine``, ``scope`` and ``filters`` (dimension id -> display values, OR
within a dimension, AND across) and computes its numbers in one or a few SQL statements that
run in the database, identically on DuckDB and PostgreSQL. Scope and filters are applied to
every fact table an analysis reads (see :mod:`salesops.analysis.facts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from salesops.config import local_today
from salesops.metrics.query import DIMENSIONS

#: Filters as the analyses take them: ``{"region": ["East"]}`` or the query model's tuples.
Filters = Mapping[str, Sequence[str]] | Iterable[tuple[str, Sequence[str]]]
NormalFilters = tuple[tuple[str, tuple[str, ...]], ...]

#: Money keeps the four decimal places it is stored with (issue 18, exact money); pages
#: round it per locale when they show it.
MONEY_STEP = Decimal("0.0001")

#: Exact decimal in Python, a plain JSON number in the API (SPEC §5: money is a plain number).
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class AnalysisError(ValueError):
    """Bad parameters for an analysis (unknown dimension, inverted dates ...): a 4xx, not a 500."""


class Result(BaseModel):
    """Base of every analysis result model (immutable, typed)."""

    model_config = ConfigDict(frozen=True)


def normalise_filters(filters: Filters | None) -> NormalFilters:
    """Filters as sorted ``((dimension, (value, ...)), ...)``; unknown dimensions raise.

    Empty value lists are dropped (no filter); values keep their order but lose duplicates.
    """
    if not filters:
        return ()
    items = filters.items() if isinstance(filters, Mapping) else filters
    merged: dict[str, list[str]] = {}
    for dim, values in items:
        if dim not in DIMENSIONS:
            raise AnalysisError(f"unknown dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
        if isinstance(values, str):
            values = (values,)
        bucket = merged.setdefault(dim, [])
        bucket.extend(str(v) for v in values if str(v) not in bucket)
    return tuple(sorted((dim, tuple(values)) for dim, values in merged.items() if values))


def today() -> dt.date:
    """Today in the configured time zone (the default as-of date)."""
    return local_today()


def resolve_as_of(as_of: dt.date | None) -> dt.date:
    """``as_of`` or, when None, today in the configured time zone."""
    return as_of if as_of is not None else today()


def years_before(day: dt.date, years: int = 1) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """Raise :class:`AnalysisError` when ``start`` is after ``end``."""
    if start is not None and end is not None and start > end:
        raise AnalysisError(f"period start {start} is after its end {end}")


def money(value: Any) -> Decimal:
    """A database number as an exact four-decimal :class:`Decimal` (None -> 0)."""
    if value is None:
        return Decimal("0.0000")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(MONEY_STEP)


def ratio(numerator: Any, denominator: Any, digits: int = 4) -> float | None:
    """``numerator / denominator`` rounded, or None for an empty denominator."""
    if denominator is None or numerator is None:
        return None
    den = Decimal(str(denominator))
    if den == 0:
        return None
    return round(float(Decimal(str(numerator)) / den), digits)


def as_float(value: Any, digits: int = 2) -> float | None:
    """A database number as a rounded float (None stays None)."""
    if value is None:
        return None
    return round(float(value), digits)
