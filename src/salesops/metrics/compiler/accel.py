"""Faster, equivalent sources for measures — the compiler's business, never the catalog's.

* Order and customer counts over normal order lines are counts over ``order_header`` (one row
  per order, kept exact by the loader) when no product dimension is involved and no order's
  lines name several customers (a header has one; the lines count each of them): a
  ``count(distinct order_id)`` over millions of lines becomes a ``count(*)`` over headers.
* Sums over order lines (revenue, gross profit, costed revenue) by month, quarter or year,
  region, rep, team, product, product line and channel come from the monthly summary
  ``order_line_month`` for the months a period takes whole, and from the lines for the other
  days (:mod:`salesops.metrics.compiler.summary`, applied to whole groups after this choice).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import FromClause, and_
from sqlalchemy.sql.elements import ColumnElement

from salesops.metrics.compiler.context import BuildCtx
from salesops.metrics.dimensions import applies
from salesops.metrics.measures import Measure, RowCtx


def _has_normal_lines(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(t.c.normal_lines > 0)


def _customer(t: FromClause, ctx: RowCtx) -> ColumnElement[int]:
    return t.c.customer_id


def header_ok(ctx: BuildCtx) -> bool:
    """Whether every grouped and filtered dimension exists on order headers, and a header's
    one customer is every customer of its order (no order's lines name several)."""
    if ctx.shared_orders:
        return False
    return all(applies("order_header", d) for d in (*ctx.dims, *ctx.filters))


def choose(m: Measure, ctx: BuildCtx) -> Measure:
    """``m`` or an equivalent measure over a smaller structure."""
    if m.fact != "order_line" or not header_ok(ctx):
        return m
    head = replace(m, fact="order_header", where=_has_normal_lines)
    if m.name == "orders":
        return replace(head, agg="count", value=None)
    if m.name == "active_customers":
        return replace(head, agg="count_distinct", value=_customer)
    if m.name == "repeat_customers":
        return head
    return m
