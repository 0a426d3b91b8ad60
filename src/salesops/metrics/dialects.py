"""The few SQL differences between DuckDB and PostgreSQL, as data, plus portable helpers.

Almost everything the compiler emits is SQL both databases read the same way (``date_trunc``,
``EXTRACT(ISOYEAR ...)``, ``FILTER (WHERE ...)``, ``GROUPING SETS``, date - date = integer days,
``INTERVAL 'n months'``). What differs is listed in :data:`DIALECTS` and rendered by the custom
SQL elements below (``@compiles``), so a third engine is one more entry:

* a *safe* cast of history text to a number or a date (DuckDB ``TRY_CAST``; PostgreSQL has none,
  so a pattern check guards the cast);
* division: DuckDB's ``/`` on integers is a true division, PostgreSQL's an integer one — the
  compiler therefore casts every numerator to double precision (:func:`fdiv`).

Time grains are data too (:data:`GRAIN_UNITS`): the ``date_trunc`` unit and the length of one
step, with fiscal grains shifted by the configured fiscal year start month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Double,
    Numeric,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


@dataclass(frozen=True)
class DialectSpec:
    """How one database spells what the others spell differently."""

    name: str
    safe_numeric: str  # {x} = text expression; the result is NUMERIC or NULL
    safe_date: str  # {x} = text expression; the result is DATE or NULL


DIALECTS: dict[str, DialectSpec] = {
    "duckdb": DialectSpec(
        "duckdb",
        safe_numeric="TRY_CAST({x} AS DECIMAL(18, 4))",
        safe_date="TRY_CAST({x} AS DATE)",
    ),
    "postgresql": DialectSpec(
        "postgresql",
        safe_numeric=(
            "CASE WHEN {x} ~ '^\\s*[-+]?[0-9]+(\\.[0-9]*)?\\s*$' "
            "THEN CAST({x} AS NUMERIC(18, 4)) END"
        ),
        safe_date=(
            "CASE WHEN {x} ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}' "
            "THEN CAST(substr({x}, 1, 10) AS DATE) END"
        ),
    ),
}


def spec_for(dialect_name: str) -> DialectSpec:
    """The :class:`DialectSpec` of a SQLAlchemy dialect name (default: the PostgreSQL one)."""
    return DIALECTS.get(dialect_name, DIALECTS["postgresql"])


class safe_numeric(FunctionElement[Any]):
    """``text`` cast to a number, or NULL when it is not one (history values are text)."""

    type = Numeric(18, 4)
    inherit_cache = True
    name = "safe_numeric"


class safe_date(FunctionElement[Any]):
    """``text`` cast to a date, or NULL when it is not one."""

    type = Date()
    inherit_cache = True
    name = "safe_date"


def _render(template: str, element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    return template.format(x=compiler.process(arg, **kw))


@compiles(safe_numeric)
def _safe_numeric(element: safe_numeric, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(spec_for(compiler.dialect.name).safe_numeric, element, compiler, **kw)


@compiles(safe_date)
def _safe_date(element: safe_date, compiler: SQLCompiler, **kw: Any) -> str:
    return _render(spec_for(compiler.dialect.name).safe_date, element, compiler, **kw)


# --------------------------------------------------------------------------- time grains


@dataclass(frozen=True)
class GrainUnit:
    """A time grain: the ``date_trunc`` unit, its step in months (or days), fiscal or not."""

    trunc: str
    months: int  # step in months; 0 for day/week grains
    days: int  # step in days for day/week grains
    fiscal: bool = False


GRAIN_UNITS: dict[str, GrainUnit] = {
    "day": GrainUnit("day", 0, 1),
    "week": GrainUnit("week", 0, 7),  # ISO weeks start on Monday in both databases
    "month": GrainUnit("month", 1, 0),
    "quarter": GrainUnit("quarter", 3, 0),
    "year": GrainUnit("year", 12, 0),
    "fiscal_quarter": GrainUnit("quarter", 3, 0, fiscal=True),
    "fiscal_year": GrainUnit("year", 12, 0, fiscal=True),
}


def add_months(expr: Any, months: int) -> ColumnElement[Any]:
    """``expr`` (a date) plus ``months`` calendar months, as a DATE (day clipped to month end)."""
    if months == 0:
        return cast(expr, Date)
    return cast(expr + literal_column(f"INTERVAL '{int(months)} months'"), Date)


def add_days(expr: Any, days: int) -> ColumnElement[Any]:
    """``expr`` (a date) plus ``days`` days, as a DATE."""
    if days == 0:
        return cast(expr, Date)
    return cast(expr + literal_column(f"INTERVAL '{int(days)} days'"), Date)


def bucket_start(grain: str, expr: Any, fiscal_start_month: int = 1) -> ColumnElement[Any]:
    """The first day of the ``grain`` period containing the date ``expr`` (a DATE).

    Fiscal grains shift the date back by the fiscal start month, truncate, and shift forward,
    so a fiscal year starting in April truncates 2017-03-15 to 2016-04-01.
    """
    unit = GRAIN_UNITS[grain]
    shift = (fiscal_start_month - 1) if unit.fiscal else 0
    base = add_months(expr, -shift) if shift else expr
    trunc = cast(func.date_trunc(unit.trunc, cast(base, Date)), Date)
    return add_months(trunc, shift) if shift else trunc


def step(grain: str, day: dt.date, n: int = 1) -> dt.date:
    """``day`` moved ``n`` grain steps (negative: back), in Python (for windows and series)."""
    unit = GRAIN_UNITS[grain]
    if unit.months == 0:
        return day + dt.timedelta(days=unit.days * n)
    return shift_months(day, unit.months * n)


def shift_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` months, the day clipped to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def bucket_of(grain: str, day: dt.date, fiscal_start_month: int = 1) -> dt.date:
    """The first day of the ``grain`` period containing ``day`` (Python twin of bucket_start)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    unit = GRAIN_UNITS[grain]
    shift = (fiscal_start_month - 1) if unit.fiscal else 0
    moved = shift_months(day, -shift)
    month = 1 if unit.months == 12 else ((moved.month - 1) // unit.months) * unit.months + 1
    return shift_months(dt.date(moved.year, month, 1), shift)


def period_label(grain: str, start: dt.date, fiscal_start_month: int = 1) -> str:
    """The label of the period starting at ``start`` (SPEC §5).

    ``2017``, ``2017-Q1``, ``2017-03``, ``2017-W09`` (ISO week), ``2017-03-01``; fiscal
    periods are named after the calendar year their fiscal year starts in: ``FY2017``,
    ``FY2017-Q1`` (with a January start they equal the calendar year and quarter labels).
    """
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start:%Y-%m}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if grain == "year":
        return str(start.year)
    if fiscal_start_month == 1:
        return period_label(grain.removeprefix("fiscal_"), start)
    fy_start = bucket_of("fiscal_year", start, fiscal_start_month)
    if grain == "fiscal_year":
        return f"FY{fy_start.year}"
    months = (start.year - fy_start.year) * 12 + start.month - fy_start.month
    return f"FY{fy_start.year}-Q{months // 3 + 1}"


# --------------------------------------------------------------------------- arithmetic


def fdiv(numerator: Any, denominator: Any) -> ColumnElement[Any]:
    """``numerator / denominator`` as a double, NULL when the denominator is 0 or NULL."""
    return cast(numerator, Double) / func.nullif(cast(denominator, Double), literal(0.0))


def days_between(start: Any, end: Any) -> ColumnElement[Any]:
    """Whole days from the date ``start`` to the date ``end`` (an integer in both databases)."""
    return cast(end, Date) - cast(start, Date)


def seconds_between(start: Any, end: Any) -> ColumnElement[Any]:
    """Seconds from timestamp ``start`` to timestamp ``end`` as a double."""
    return cast(func.extract("epoch", end - start), Double)


def null_if_false(cond: Any, value: Any) -> ColumnElement[Any]:
    """``value`` where ``cond`` holds, else NULL (for conditional aggregates)."""
    return case((cond, value), else_=null())


# --------------------------------------------------------------------------- literal SQL


def _typed_literal(value: Any) -> str | None:
    """A date or timestamp as a typed SQL literal both databases read (None: not one).

    SQLAlchemy inlines dates as bare strings ('2024-03-31'); in a CASE whose branches are all
    such strings the result is text, which neither database compares with a date column."""
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return None


_LITERAL_COMPILERS: dict[type[SQLCompiler], type[SQLCompiler]] = {}


def _literal_compiler(base: type[SQLCompiler]) -> type[SQLCompiler]:
    found = _LITERAL_COMPILERS.get(base)
    if found is None:

        def render_literal_value(self: SQLCompiler, value: Any, type_: Any) -> str:
            typed = _typed_literal(value)
            if typed is not None:
                return typed
            return base.render_literal_value(self, value, type_)

        found = type(
            f"Literal{base.__name__}", (base,), {"render_literal_value": render_literal_value}
        )
        _LITERAL_COMPILERS[base] = found
    return found


def literal_sql(statement: Any, dialect: Dialect) -> str:
    """``statement`` compiled by ``dialect``'s own compiler with every parameter inlined as a
    typed literal: the statement the engine runs, as text a database shell accepts."""
    compiler_cls = _literal_compiler(dialect.statement_compiler)
    return str(compiler_cls(dialect, statement, compile_kwargs={"literal_binds": True}))
