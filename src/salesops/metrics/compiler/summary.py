"""Sums over order lines read through the monthly summary ``order_line_month``, and order and
customer counts through ``order_header_month`` — exactly.

``order_line_month`` holds the order lines summed per month, status, region, rep, product,
channel and whether the cost is known, under ``order_line``'s column names (``order_date`` is
the month's first day). A flow group of sum measures then reads a ``UNION ALL`` of

* summary rows for the months a query period takes *whole*, and
* the order lines of the remaining days (partial months at the edges of a period),

and the builder runs unchanged on it: same measure SQL, same time filter, buckets, scope and
filters. A group is routed only when every part of that is provably the same as on the lines
(:func:`route`); anything else reads ``order_line`` as before.

``order_header_month`` does the same for order headers (the counts :mod:`.accel` already
moved from the lines to the headers): normal orders counted per month, customer, rep, region
and channel under ``order_header``'s names, plus ``orders``. Over a union of its rows (whole
months) and headers (other days, ``orders`` = 1), the number of orders is ``sum(orders)`` and
the set of customers of a group and period is the same set — so active, repeat and retained
customers and the order count read it (:func:`route_headers`, :func:`header_source`).

``payment_month`` does the same for the collection rate: payments summed per due month, paid
month (dated its last day), rep and region, read for periods that end on month ends
(:func:`route_payments`, :func:`payment_source`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import FromClause, Select, Table, literal, or_, select, true, union_all
from sqlalchemy.sql.elements import ColumnElement

from salesops.db.tables import (
    OrderHeader,
    OrderHeaderMonth,
    OrderLine,
    OrderLineMonth,
    Payment,
    PaymentMonth,
)
from salesops.metrics.compiler.context import BuildCtx
from salesops.metrics.compiler.frame import ONE_DAY, Frame
from salesops.metrics.dialects import GRAIN_UNITS, shift_months
from salesops.metrics.dimensions import applies
from salesops.metrics.measures import MEASURES, Measure, RowCtx

if TYPE_CHECKING:
    from salesops.metrics.compiler.plan import Group

#: ``Group.source`` of a group read through the summary.
SOURCE = "order_line_month"

#: Order-line measures whose SQL gives the same answer over summary rows as over the lines
#: they sum: a status condition, ``cost IS NOT NULL`` (rows never mix costed and uncosted
#: lines) and sums of ``amount`` and ``amount - cost`` (amount is never NULL). A new order-line
#: sum measure is not routed until it is added here (a test lists the ones left out, and why).
SUMMABLE = frozenset({"revenue", "gross_profit", "costed_revenue"})

#: Dimensions answered from the summary's keys: its own columns, the rep's team and the
#: product's line. Customer dimensions (customer, customer_region, industry, segment,
#: source_channel) are not in it.
DIMENSIONS = frozenset({"region", "rep", "team", "product", "product_line", "channel"})

#: The columns measures and dimensions read, in both branches of the union.
_COLUMNS = (
    "order_date",
    "status",
    "region_id",
    "rep_id",
    "product_id",
    "channel",
    "amount",
    "cost",
)

Range = tuple[dt.date | None, dt.date | None]


@dataclass(frozen=True)
class MonthPlan:
    """Which dates come from where: ``months`` are ranges of month starts read from the
    summary, ``days`` inclusive date ranges read from the order lines (None: open side)."""

    months: tuple[Range, ...]
    days: tuple[Range, ...]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    return shift_months(first, 1) - ONE_DAY


def _split(lo: dt.date | None, hi: dt.date | None) -> tuple[Range | None, list[Range]]:
    """Whole months of [lo, hi] (first and last month start) and the days around them."""
    first = None if lo is None else (lo if lo.day == 1 else shift_months(_month_start(lo), 1))
    last = None
    if hi is not None:
        last = _month_start(hi) if (hi + ONE_DAY).day == 1 else shift_months(_month_start(hi), -1)
    if first is not None and last is not None and first > last:
        return None, [(lo, hi)]
    days: list[Range] = []
    if lo is not None and first is not None and lo < first:
        days.append((lo, first - ONE_DAY))
    if hi is not None and last is not None and hi > _month_end(last):
        days.append((_month_end(last) + ONE_DAY, hi))
    return (first, last), days


def _overlap(ranges: list[Range]) -> bool:
    spans = sorted((lo or dt.date.min, hi or dt.date.max) for lo, hi in ranges)
    return any(a[1] >= b[0] for a, b in itertools.pairwise(spans))


def month_plan(frame: Frame, lookback: int = 0) -> MonthPlan | None:
    """How the dates ``frame`` reads split into whole months and other days, or None when the
    summary cannot serve it (no whole month, buckets that cut months, overlapping periods)."""
    if frame.grain is not None and GRAIN_UNITS[frame.grain].months == 0:
        return None  # day and week buckets cut months
    ranges = frame.covered(lookback)
    # Overlapping periods: a row belongs to the first period that contains it, which for a
    # summary row (dated the 1st) need not be the period of every line it sums.
    if ranges is None or _overlap(ranges):
        return None
    months: list[Range] = []
    days: list[Range] = []
    for lo, hi in ranges:
        whole, rest = _split(lo, hi)
        if whole is not None:
            months.append(whole)
        days.extend(rest)
    if not months:
        return None
    return MonthPlan(tuple(months), tuple(days))


def summable(m: Measure) -> bool:
    """Whether ``m`` is one of the catalog's order-line sums known to be exact on the summary."""
    return (
        m.name in SUMMABLE
        and MEASURES.get(m.name) is m
        and m.kind == "flow"
        and m.fact == "order_line"
        and m.time == "order_date"
        and m.agg == "sum"
    )


def usable(ctx: BuildCtx) -> bool:
    """Whether the query's grouping, filters and periods can be read from the summary."""
    if not ctx.summary:
        return False
    if not all(d in DIMENSIONS for d in (*ctx.dims, *ctx.filters)):
        return False
    return month_plan(ctx.frame) is not None


def route(ctx: BuildCtx, g: Group) -> Group:
    """``g`` read through the summary when every one of its measures is a summable sum.

    A group mixing sums with counts stays whole on the lines: split in two, each part would
    put its shared row condition into WHERE, and a count over a group without matching rows
    reads 0 in one pass but is absent (NULL) in a hoisted pass — the set of rows a fused
    statement returns would change. The lines are scanned for the count anyway.
    """
    if g.builder != "flow" or g.fact != "order_line" or g.time != "order_date":
        return g
    if not all(summable(m) for m in g.measures) or not usable(ctx):
        return g
    return replace(g, source=SOURCE)


def _within(col: Any, ranges: tuple[Range, ...]) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    for lo, hi in ranges:
        if lo is not None and hi is not None:
            conds.append(col.between(lo, hi))
        elif lo is not None:
            conds.append(col >= lo)
        elif hi is not None:
            conds.append(col <= hi)
        else:
            conds.append(true())
    return or_(*conds)


def _months_and_days(
    ctx: BuildCtx,
    plan: MonthPlan,
    kept: Table,
    facts: Table,
    columns: Sequence[str],
    name: str,
    extra: tuple[Any, Any] | None = None,
) -> FromClause:
    """``kept`` rows for the whole months of ``plan`` and ``facts`` rows for its other days,
    both as ``columns`` (the same names in the two tables; dated by the first of them) plus,
    if given, one more column (``extra``: its kept and its fact expression, one label)."""
    time = columns[0]
    kept_cols = [kept.c[c] for c in columns] + ([extra[0]] if extra else [])
    branches: list[Select[Any]] = [select(*kept_cols).where(_within(kept.c[time], plan.months))]
    if plan.days:
        fact_cols = [facts.c[c] for c in columns] + ([extra[1]] if extra else [])
        branches.append(select(*fact_cols).where(_within(facts.c[time], plan.days)))
    if len(branches) == 1:
        return branches[0].subquery(ctx.name(name))
    return union_all(*branches).subquery(ctx.name(name))


def source(ctx: BuildCtx) -> FromClause:
    """Order lines of the query's periods as summary rows (whole months) plus lines (the other
    days), with ``order_line``'s column names."""
    plan = month_plan(ctx.frame)
    assert plan is not None, "route() checks the frame first"
    return _months_and_days(
        ctx, plan, _table(OrderLineMonth), _table(OrderLine), _COLUMNS, "order_lines_by_month"
    )


# --------------------------------------------------------------------------- order headers

#: ``Group.source`` of a group read through ``order_header_month``.
HEADER_SOURCE = "order_header_month"

#: Order-header measures (as :func:`salesops.metrics.compiler.accel.choose` makes them) that
#: read the same over month rows: the order count becomes ``sum(orders)``, the customer
#: count stays a distinct count, repeat customers count ``sum(orders)`` per customer.
HEADER_COUNTS = frozenset({"orders", "active_customers", "repeat_customers"})

_HEADER_COLUMNS = ("order_date", "customer_id", "rep_id", "region_id", "channel", "normal_lines")


def _orders(t: FromClause, ctx: RowCtx) -> ColumnElement[int]:
    return t.c.orders


def headers_usable(ctx: BuildCtx, frame: Frame | None = None, lookback: int = 0) -> bool:
    """Whether order headers of the query's periods (and ``lookback`` periods before them)
    can be read as month rows plus the headers of the other days."""
    if not ctx.header_months:
        return False
    if not all(applies("order_header", d) for d in (*ctx.dims, *ctx.filters)):
        return False
    return month_plan(frame or ctx.frame, lookback) is not None


def route_headers(ctx: BuildCtx, g: Group) -> Group:
    """``g`` read through ``order_header_month`` when it counts order headers by order date
    and every measure is one of :data:`HEADER_COUNTS`; the order count becomes a sum."""
    if g.builder not in ("flow", "per_customer") or g.fact != "order_header":
        return g
    if g.time != "order_date" or not all(m.name in HEADER_COUNTS for m in g.measures):
        return g
    if not headers_usable(ctx):
        return g
    measures = tuple(
        replace(m, agg="sum", value=_orders) if m.name == "orders" else m for m in g.measures
    )
    return replace(g, source=HEADER_SOURCE, measures=measures)


def header_source(ctx: BuildCtx, frame: Frame | None = None, lookback: int = 0) -> FromClause:
    """Order headers of the periods as month rows (whole months) plus headers (the other
    days), with ``order_header``'s column names and ``orders`` (1 for a header)."""
    plan = month_plan(frame or ctx.frame, lookback)
    assert plan is not None, "headers_usable() checks the frame first"
    ohm = _table(OrderHeaderMonth)
    orders = (ohm.c.orders, literal(1).label("orders"))
    return _months_and_days(
        ctx, plan, ohm, _table(OrderHeader), _HEADER_COLUMNS, "order_headers_by_month", orders
    )


# --------------------------------------------------------------------------- payments

#: ``Group.source`` of a group read through ``payment_month``.
PAYMENT_SOURCE = "payment_month"

#: Payment measures that read the same over ``payment_month`` rows as over the payments they
#: sum, in a period that ends on a month end: the amount due, and the amount paid by the
#: period's end (a row's ``paid_date`` is the last day of the month paid in, so it falls on or
#: before a month end exactly when the dates of the payments it sums do).
PAYMENT_SUMS = frozenset({"due_amount", "paid_by_end"})

#: Dimensions answered from ``payment_month``'s keys: its own columns and the rep's team.
PAYMENT_DIMENSIONS = frozenset({"region", "rep", "team"})

_PAYMENT_COLUMNS = ("due_date", "paid_date", "rep_id", "region_id", "due_amount", "paid_amount")


def _is_month_end(day: dt.date | None) -> bool:
    return day is not None and (day + ONE_DAY).day == 1


def _periods_end_on_month_ends(frame: Frame) -> bool:
    """Whether every period of ``frame`` ends on a month end (what ``paid_by_end`` compares
    with; :meth:`Frame.bucket_bounds` gives the same ends)."""
    if frame.mode == "single":
        return _is_month_end(frame.end or frame.cap)
    if frame.mode == "windows":
        return all(_is_month_end(p.end) for p in frame.periods(1))
    assert frame.grain is not None
    # A bucket ends on its grain's last day, a month end for month, quarter and (fiscal) year
    # buckets; the query's end cuts the last one.
    return GRAIN_UNITS[frame.grain].months > 0 and (frame.end is None or _is_month_end(frame.end))


def route_payments(ctx: BuildCtx, g: Group) -> Group:
    """``g`` read through ``payment_month`` when it sums payments by due date with measures of
    :data:`PAYMENT_SUMS` only, grouped and filtered by its keys, over whole months, in periods
    that end on month ends."""
    if g.builder != "flow" or g.fact != "payment" or g.time != "due_date":
        return g
    if not ctx.kept_payments or not g.measures:
        return g
    if not all(m.name in PAYMENT_SUMS and MEASURES.get(m.name) is m for m in g.measures):
        return g
    if not all(d in PAYMENT_DIMENSIONS for d in (*ctx.dims, *ctx.filters)):
        return g
    if month_plan(ctx.frame) is None or not _periods_end_on_month_ends(ctx.frame):
        return g
    return replace(g, source=PAYMENT_SOURCE)


def payment_source(ctx: BuildCtx) -> FromClause:
    """Payments of the query's periods as ``payment_month`` rows (whole months) plus payments
    (the other days), with ``payment``'s column names."""
    plan = month_plan(ctx.frame)
    assert plan is not None, "route_payments() checks the frame first"
    return _months_and_days(
        ctx, plan, _table(PaymentMonth), _table(Payment), _PAYMENT_COLUMNS, "payments_by_month"
    )
