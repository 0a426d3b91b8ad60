"""The facts the analyses read, with data scope and dimension filters applied.

Scope: every fact is attributed to a rep (``order_header.rep_id``, ``order_line.rep_id``,
``opportunity.owner_id``, ``payment.rep_id``, ``activity.rep_id``); a scoped caller sees only
the rows of visible reps (via :mod:`salesops.metrics.dimensions`). A customer shows up in an
analysis only through facts the caller may see, so a rep never sees another rep's customers.

Filters: a dimension filters every fact table it applies to (``region`` is the fact's own sales
region; customer attributes apply through ``customer_id``). A filter on a dimension that applies
to none of the facts an analysis reads is an :class:`AnalysisError`, not silently ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, func, literal_column, select, true, union_all

from salesops.analysis.common import AnalysisError, NormalFilters
from salesops.db.schema import Activity, Opportunity, OrderHeader, OrderLine, Payment
from salesops.metrics import dimensions
from salesops.metrics.scope import Scope

FactTable = type[OrderHeader] | type[OrderLine] | type[Opportunity] | type[Payment] | type[Activity]

#: Dimensions that only order lines carry (an order header has no product).
LINE_DIMENSIONS = frozenset({"product", "product_line"})


def check_applicable(filters: NormalFilters, facts: Collection[str], analysis: str) -> None:
    """Raise when a filtered dimension applies to none of ``facts`` (table names)."""
    for dim, _ in filters:
        usable = [
            name
            for name in facts
            if dimensions.applies(name, dim)
            # An order header stands for its lines when the filter needs lines.
            or (name == "order_header" and dim in LINE_DIMENSIONS)
        ]
        if not usable:
            raise AnalysisError(f"dimension {dim!r} does not apply to the {analysis} analysis")


def conditions(fact: FactTable, scope: Scope, filters: NormalFilters) -> list[ColumnElement[bool]]:
    """Scope plus every filter of ``filters`` that applies to ``fact``.

    Delegates to :func:`salesops.metrics.dimensions.conditions`, so a filter means the same in
    an analysis as in a KPI.
    """
    name = fact.__tablename__
    applicable = {dim: values for dim, values in filters if dimensions.applies(name, dim)}
    return dimensions.conditions(name, applicable, scope)


def orders(
    scope: Scope,
    filters: NormalFilters,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Subquery:
    """One row per normal order and customer in scope: ``customer_id, order_no, order_date,
    amount``.

    Orders come from ``order_header`` (one row per order, kept by the loader); only a filter on
    product or product line, and the few orders whose lines name several customers
    (``order_header.shared``: each of them bought, with their own lines), go down to the order
    lines, since a header has no product and one customer. The amount is over normal lines
    (and the filtered products). ``since``/``until`` bound ``order_date`` inclusively.
    """
    line = OrderLine
    line_where = [line.status == "normal", line.customer_id.is_not(None)]
    line_where += conditions(line, scope, filters)
    if since is not None:
        line_where.append(line.order_date >= since)
    if until is not None:
        line_where.append(line.order_date <= until)
    by_lines: Any = select(
        line.customer_id.label("customer_id"),
        line.order_no.label("order_no"),
        func.min(line.order_date).label("order_date"),
        func.sum(line.amount).label("amount"),
    ).group_by(line.order_no, line.customer_id)
    if any(dim in LINE_DIMENSIONS for dim, _ in filters):
        return by_lines.where(and_(*line_where)).subquery("orders")
    head = OrderHeader
    where = [head.normal_lines > 0, head.customer_id.is_not(None), head.shared.is_(None)]
    where += conditions(head, scope, filters)
    if since is not None:
        where.append(head.order_date >= since)
    if until is not None:
        where.append(head.order_date <= until)
    query = select(
        head.customer_id.label("customer_id"),
        head.order_no.label("order_no"),
        head.order_date.label("order_date"),
        func.coalesce(head.amount, literal_column("0")).label("amount"),
    ).where(and_(*where))
    shared = select(head.id).where(head.shared == true())  # the partial index; "IS true" is not
    split = by_lines.where(and_(*line_where, line.order_id.in_(shared)))
    return union_all(query, split).subquery("orders")
    head = OrderHeader
    where = [head.normal_lines > 0, head.customer_id.is_not(None)]
    where += conditions(head, scope, filters)
    if since is not None:
        where.append(head.order_date >= since)
    if until is not None:
        where.append(head.order_date <= until)
    query = select(
        head.customer_id.label("customer_id"),
        head.order_no.label("order_no"),
        head.order_date.label("order_date"),
        func.coalesce(head.amount, literal_column("0")).label("amount"),
    ).where(and_(*where))
    return query.subquery("orders")
