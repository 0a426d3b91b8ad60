"""Stock measures (as they stood at the end of each period) and interval measures (rows whose
date range overlaps the period).

Periods come as a small VALUES table (``bucket, p_start, p_end, as_of`` ...). Opportunities at
a date today or later are the current rows; at a past month end they come from the month-end
pipeline kept by the writers (``opportunity_month_end``); at any other date from history
(:func:`salesops.metrics.history.opportunity_states_at`), which fills that table too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)

from salesops.db.tables import Opportunity, Payment, PaymentMonthEnd, PaymentOpen, Rep
from salesops.metrics.compiler.context import (
    BuildCtx,
    aggregate,
    finish,
    hoistable,
    periods_table,
)
from salesops.metrics.compiler.frame import Period
from salesops.metrics.history import (
    CLOSED_STATUSES,
    STATE_NAMES,
    month_end_held,
    month_end_open_states,
    opportunity_states_at,
)
from salesops.metrics.measures import Measure, RowCtx, measure


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


#: Columns of an opportunity stock's source, in order (each part of it gives them all).
_STATE = STATE_NAMES


def _opportunities_at(
    ctx: BuildCtx, periods: FromClause, dates: list[Any], fields: set[str]
) -> FromClause:
    """Open opportunities at each period's ``as_of``, joined to its period row.

    Each date is read from the cheapest place that gives the exact answer: today or later
    from the current rows; a past month end ``opportunity_month_end`` holds from there; any
    other date from history.
    """
    today = ctx.frame.today
    current = [d for d in dates if d >= today]
    ended = [d for d in dates if month_end_held(d, today, ctx.month_ends)]
    other = [d for d in dates if d not in current and d not in ended]
    other_cols = [c for c in periods.c if c.name != "as_of"]
    parts: list[Select[Any]] = []
    if current or not (ended or other):  # no date at all (periods after the cap): no rows
        opp = Opportunity.__table__
        open_then = and_(
            or_(opp.c.created_on.is_(None), opp.c.created_on <= periods.c.as_of),
            or_(
                opp.c.status == "open",
                and_(opp.c.status.in_(CLOSED_STATUSES), opp.c.closed_on > periods.c.as_of),
            ),
        )
        part = select(periods.c.as_of, *(opp.c[n] for n in _STATE), *other_cols)
        part = part.select_from(opp.join(periods, open_then))
        parts.append(part.where(periods.c.as_of >= today) if ended or other else part)
    if ended:
        parts.append(_month_end_part(periods, ended, other_cols, "owner" in fields))
    if other:
        distinct_dates = select(periods.c.as_of).distinct()
        if current or ended:
            distinct_dates = distinct_dates.where(periods.c.as_of.in_(other))
        history = opportunity_states_at(
            distinct_dates.subquery("snapshot_dates"), open_only=True, fields=sorted(fields)
        )
        states = history.subquery("opp_states")
        part = select(states.c.as_of, *(states.c[n] for n in _STATE), *other_cols)
        parts.append(part.select_from(states.join(periods, periods.c.as_of == states.c.as_of)))
    if len(parts) == 1:
        return parts[0].subquery("opp_then")
    return union_all(*parts).subquery("opp_then")


def _month_end_part(
    periods: FromClause, ended: list[dt.date], other_cols: list[Any], owner: bool
) -> Select[Any]:
    """The open opportunities at past month ends, from ``opportunity_month_end``."""
    kept = month_end_open_states(ended, owner=owner, names=False).subquery("month_end_open")
    return select(kept.c.as_of, *(kept.c[n] for n in _STATE), *other_cols).select_from(
        kept.join(periods, periods.c.as_of == kept.c.as_of)
    )


def never_settled(pay: FromClause) -> ColumnElement[Any]:
    """True for a payment never settled in full: no paid date or amount, or less paid than due
    (what ``payment_open`` keeps; NULL, not true, when the amount due is unknown)."""
    return or_(
        pay.c.paid_date.is_(None),
        pay.c.paid_amount.is_(None),
        pay.c.paid_amount < pay.c.due_amount,
    )


def _payments_maybe_open(first: dt.date) -> FromClause:
    """The payments that can be outstanding at ``first`` or later: those never settled in full
    (``payment_open``) and those settled in full on or after ``first`` — a far smaller set
    than every payment, with the same columns."""
    pay, kept = Payment.__table__, PaymentOpen.__table__
    late = and_(pay.c.paid_date >= first, not_(func.coalesce(never_settled(pay), false())))
    branches = union_all(
        select(*(kept.c[c.name] for c in pay.c)),
        select(*pay.c).where(late),
    )
    return branches.subquery("payment_maybe_open")


def payments_due_at(
    dates: FromClause, days: Sequence[dt.date], *, kept: bool = False
) -> Select[Any]:
    """Every payment due before a date of ``dates`` (a table with an ``as_of`` column; its
    values are ``days``) and not yet settled in full on it: the payment's columns and the
    date's. Only these rows can be overdue then. ``kept``: read the candidates from
    ``payment_open`` and the late-paid payments instead of every payment (same rows)."""
    # Payments settled in full before the first date are never outstanding at any of them:
    # leave them out before the (range) join with the dates.
    first, last = (min(days), max(days)) if days else (dt.date.min, dt.date.min)
    pay = _payments_maybe_open(first) if kept and days else Payment.__table__
    unsettled = or_(never_settled(pay), pay.c.paid_date >= first)
    early = pay.c.due_date < last
    # A payment can be outstanding at a date from its due date until it is paid in full: the
    # join keeps that window only (two inequalities, one range join), rather than every date
    # after the due date.
    settled_on = case(
        (and_(pay.c.paid_date.is_not(None), pay.c.paid_amount >= pay.c.due_amount),
         pay.c.paid_date),
        else_=literal(dt.date(9999, 12, 31), Date),
    )  # fmt: skip
    window = and_(pay.c.due_date < dates.c.as_of, dates.c.as_of < settled_on)
    return select(*pay.c, *dates.c).select_from(pay.join(dates, window)).where(unsettled, early)


#: The stock measure ``payment_month_end`` holds, and the key columns it keeps.
_KEPT_PAYMENT_MEASURE = "overdue_receivables"
_PAYMENT_KEYS = ("customer_id", "rep_id", "region_id")


def payment_month_end_rows(dates: FromClause, days: Sequence[dt.date]) -> Select[Any]:
    """The rows of ``payment_month_end`` for ``dates`` (see
    :class:`salesops.db.schema.PaymentMonthEnd`): the overdue measure's own value and
    condition over :func:`payments_due_at`, summed per date, customer, rep and region."""
    due = payments_due_at(dates, days).subquery("payment_due")
    overdue = aggregate(
        measure(_KEPT_PAYMENT_MEASURE), due, RowCtx(None, None, as_of=due.c.as_of), hoisted=False
    )
    keys = [due.c[k] for k in _PAYMENT_KEYS]
    return select(due.c.as_of, *keys, overdue.label("overdue")).group_by(due.c.as_of, *keys)


def _payments_at(
    ctx: BuildCtx, periods: FromClause, dates: list[dt.date], measures: Sequence[Measure]
) -> FromClause:
    """Payments due and not settled at each period's ``as_of``, joined to its period row.

    For the overdue amount at past month ends ``payment_month_end`` holds, its rows stand in
    for the payments: one per customer, rep and region, under the payment's column names
    (``due_amount`` the overdue sum, nothing paid, due long before), so the measure's SQL
    gives the same sums over them.
    """
    kept = all(m.name == _KEPT_PAYMENT_MEASURE for m in measures)
    cover = ctx.payment_month_ends if kept else None
    held = [d for d in dates if month_end_held(d, ctx.frame.today, cover)]
    other = [d for d in dates if d not in held]
    parts: list[Select[Any]] = []
    if other or not held:  # no date at all (periods after the cap): no rows
        due = payments_due_at(periods, other, kept=ctx.kept_payments)
        parts.append(due.where(periods.c.as_of.in_(other)) if held else due)
    if held:
        sums = PaymentMonthEnd.__table__
        stand_in = {
            "due_date": cast(literal(dt.date(1900, 1, 1), Date), Date),
            "due_amount": sums.c.overdue,
            **{k: sums.c[k] for k in _PAYMENT_KEYS},
        }
        pay = Payment.__table__
        cols = [stand_in.get(c.name, cast(null(), c.type)).label(c.name) for c in pay.c]
        joined = sums.join(periods, periods.c.as_of == sums.c.as_of)
        part = select(*cols, *periods.c).select_from(joined)
        parts.append(part.where(sums.c.as_of.in_(held)))
    if len(parts) == 1:
        return parts[0].subquery("payment_then")
    return union_all(*parts).subquery("payment_then")


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
        dates = [ctx.frame.snapshot_date(p) for p in periods]
        src = _payments_at(ctx, table, dates, measures)
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
    # The measures' row condition (who counts as a seller) reads the period's bounds, so it
    # goes into the rows' WHERE, next to the period they are paired with.
    hoisted = hoistable(measures)
    if bounded:
        table = periods_table(periods, ctx.frame, name=ctx.name("rep_periods"))
        overlap = and_(
            or_(rep.c.hired_on.is_(None), rep.c.hired_on <= table.c.p_end),
            or_(rep.c.left_on.is_(None), rep.c.left_on >= table.c.p_start),
        )
        src = select(*rep.c, table.c.bucket).select_from(rep.join(table, overlap))
        row_ctx = RowCtx(table.c.p_start, table.c.p_end)
    else:
        src = select(*rep.c, cast(null(), Date).label("bucket"))
        row_ctx = RowCtx(None, None)
    if hoisted and measures[0].where is not None:
        src = src.where(measures[0].where(rep, row_ctx))
    source = src.subquery("rep_then")
    key_cols, joins = ctx.keys(fact, source)
    rctx = RowCtx(None, None)
    aggs = [aggregate(m, source, rctx, hoisted=hoisted).label(m.name) for m in measures]
    bucket = source.c.bucket if ctx.frame.bucketed else None
    return finish(ctx, source, joins, key_cols, bucket, aggs, ctx.conditions(fact, source))
