"""Stock measures (as they stood at the end of each period) and interval measures (rows whose
date range overlaps the period).

Periods come as a small VALUES table (``bucket, p_start, p_end, as_of`` ...). Opportunities are
read from history (:func:`salesops.metrics.history.opportunity_states_at`) unless every
snapshot date is today or later, when the current rows are the state (and far cheaper).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, FromClause, Select, and_, cast, null, or_, select

from salesops.db.schema import Opportunity, Payment, Rep
from salesops.metrics.compiler.context import BuildCtx, aggregate, finish, periods_table
from salesops.metrics.compiler.frame import Period
from salesops.metrics.history import opportunity_states_at
from salesops.metrics.measures import Measure, RowCtx

_CLOSED = ("won", "lost")


def snapshot_periods(ctx: BuildCtx) -> list[Period]:
    """Periods a stock is measured for: current and comparison ones not starting after the cap."""
    return [p for p in ctx.frame.periods() if p.start is None or p.start <= ctx.frame.cap]


#: History fields each stock measure reads (status is always read).
_FIELDS = {
    "open_pipeline": ("amount",),
    "open_opportunities": (),
    "weighted_pipeline": ("amount", "probability", "stage"),
    "coverage_pipeline": ("amount", "expected_close_on"),
}


def _history_fields(ctx: BuildCtx, measures: Sequence[Measure]) -> set[str]:
    fields = {"status"}
    for m in measures:
        fields.update(_FIELDS.get(m.name, ("amount", "probability", "stage", "expected_close_on")))
    used = {*ctx.dims, *ctx.filters}
    if used & {"rep", "team"} or not ctx.scope.is_full:
        fields.add("owner")
    if "stage" in used:
        fields.add("stage")
    return fields


def _opportunities_at(
    ctx: BuildCtx, periods: FromClause, dates: list[Any], fields: set[str]
) -> FromClause:
    """Open opportunities at each period's ``as_of``, joined to its period row."""
    if all(d >= ctx.frame.today for d in dates):
        opp = Opportunity.__table__
        open_then = and_(
            or_(opp.c.created_on.is_(None), opp.c.created_on <= periods.c.as_of),
            or_(
                opp.c.status == "open",
                and_(opp.c.status.in_(_CLOSED), opp.c.closed_on > periods.c.as_of),
            ),
        )
        cols = [*opp.c, *(c for c in periods.c if c.name != "as_of")]
        cols.append(periods.c.as_of)
        return select(*cols).select_from(opp.join(periods, open_then)).subquery("opp_now")
    distinct_dates = select(periods.c.as_of).distinct().subquery("snapshot_dates")
    history = opportunity_states_at(distinct_dates, open_only=True, fields=sorted(fields))
    states = history.subquery("opp_states")
    other = [c for c in periods.c if c.name != "as_of"]
    return (
        select(*states.c, *other)
        .select_from(states.join(periods, periods.c.as_of == states.c.as_of))
        .subquery("opp_then")
    )


def build_snapshot(ctx: BuildCtx, fact: str, measures: Sequence[Measure]) -> Select[Any]:
    """Stock measures of ``fact`` (opportunity or payment) at each period's end."""
    periods = snapshot_periods(ctx)
    with_next = any(m.param("window") == "next" for m in measures)
    table = periods_table(periods, ctx.frame, with_next=with_next, name=ctx.name("stock_periods"))
    if fact == "opportunity":
        dates = [ctx.frame.snapshot_date(p) for p in periods]
        src = _opportunities_at(ctx, table, dates, _history_fields(ctx, measures))
        where: list[Any] = []
    elif fact == "payment":
        pay = Payment.__table__
        dates = [ctx.frame.snapshot_date(p) for p in periods]
        # Payments settled in full before the first date are never outstanding at any of
        # them: leave them out before the (range) join with the dates.
        unsettled = or_(
            pay.c.paid_date.is_(None),
            pay.c.paid_amount.is_(None),
            pay.c.paid_amount < pay.c.due_amount,
            pay.c.paid_date >= min(dates, default=ctx.frame.cap),
        )
        early = pay.c.due_date < max(dates, default=ctx.frame.cap)
        src = (
            select(*pay.c, *table.c)
            .select_from(pay.join(table, pay.c.due_date < table.c.as_of))
            .where(unsettled, early)
            .subquery("payment_then")
        )
        where = []
    else:  # pragma: no cover - the catalog only has these
        raise ValueError(f"no snapshot builder for {fact}")
    rctx = RowCtx(
        src.c.n_start if with_next else src.c.p_start,
        src.c.n_end if with_next else src.c.p_end,
        as_of=src.c.as_of,
    )
    key_cols, joins = ctx.keys(fact, src)
    aggs = [aggregate(m, src, rctx, hoisted=False).label(m.name) for m in measures]
    where += ctx.conditions(fact, src)
    bucket = src.c.bucket if ctx.frame.bucketed else None
    return finish(ctx, src, joins, key_cols, bucket, aggs, where)


def build_interval(ctx: BuildCtx, fact: str, measures: Sequence[Measure]) -> Select[Any]:
    """Rows of ``fact`` (reps) whose [hired_on, left_on] overlaps each period."""
    if fact != "rep":  # pragma: no cover - the catalog only has reps
        raise ValueError(f"no interval builder for {fact}")
    rep = Rep.__table__
    periods = ctx.frame.periods() if ctx.frame.bucketed else ctx.frame.current()
    bounded = ctx.frame.bucketed or ctx.frame.start is not None or ctx.frame.end is not None
    if bounded:
        table = periods_table(periods, ctx.frame, name=ctx.name("rep_periods"))
        overlap = and_(
            or_(rep.c.hired_on.is_(None), rep.c.hired_on <= table.c.p_end),
            or_(rep.c.left_on.is_(None), rep.c.left_on >= table.c.p_start),
        )
        src = select(*rep.c, table.c.bucket).select_from(rep.join(table, overlap))
        source = src.subquery("rep_then")
    else:
        source = select(*rep.c, cast(null(), Date).label("bucket")).subquery("rep_then")
    key_cols, joins = ctx.keys(fact, source)
    rctx = RowCtx(None, None)
    aggs = [aggregate(m, source, rctx, hoisted=False).label(m.name) for m in measures]
    bucket = source.c.bucket if ctx.frame.bucketed else None
    return finish(ctx, source, joins, key_cols, bucket, aggs, ctx.conditions(fact, source))
