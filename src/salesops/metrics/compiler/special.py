"""Builders of the measures that are not plain aggregates: retention, the stage funnel, time in
stage, visit conversion and targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Date,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
)

from salesops.db.derived import STAY_COPIES
from salesops.db.tables import Opportunity, OpportunityStageStay, PipelineStage
from salesops.metrics import dimensions as dims_mod
from salesops.metrics.compiler import summary
from salesops.metrics.compiler.context import BUCKET, BuildCtx, finish, key_name, periods_table
from salesops.metrics.compiler.frame import Frame
from salesops.metrics.dialects import add_days, seconds_between
from salesops.metrics.history import stage_entries, stay_length, stays_ending_between
from salesops.metrics.measures import Measure, time_expression


def _null_safe_equal(a: Any, b: Any) -> Any:
    return a.is_not_distinct_from(b)


# --------------------------------------------------------------------------- retention


def build_retention(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """Customers active in the previous period (``previous_customers``) and of those, active
    again in this one (``retained_customers``), per group and period."""
    frame = ctx.frame
    if frame.mode == "single":
        # One period: compute over it and its previous window, keep the current one.
        if frame.start is None or frame.end is None:
            inner_frame = None
        else:
            inner_frame = Frame(
                grain=None,
                start=frame.start,
                end=frame.end,
                compare="prev",
                as_of=frame.as_of,
                today=frame.today,
                fiscal_start_month=frame.fiscal,
            )
    else:
        inner_frame = frame
    # The periods whose active customers are counted: each computed period and the one
    # before it. One period is computed as the current window against the previous one,
    # which is then all it needs (looking back from the previous window too read a year of
    # orders for nothing).
    lookback = 0 if frame.mode == "single" else 1
    line_dims = any(not dims_mod.applies("order_header", d) for d in (*ctx.dims, *ctx.filters))
    # an order whose lines name several customers retains each of them: read the lines
    fact = "order_line" if line_dims or ctx.shared_orders else "order_header"
    if inner_frame is None:  # no period to look back from: nothing is retained or lost
        return empty_part(ctx, measures)
    counted = inner_frame.periods(lookback=lookback)
    src: FromClause = dims_mod.fact(fact).table
    if fact == "order_header" and summary.headers_usable(ctx, inner_frame, lookback=lookback):
        src = summary.header_source(ctx, inner_frame, lookback=lookback)
    t = time_expression(fact, "order_date", src)
    key_cols, joins = ctx.keys(fact, src)
    frm: Any = dims_mod.join_all(src, joins)
    if inner_frame.mode == "grain":
        bucket = inner_frame.bucket(t)
        assert bucket is not None
    else:
        # Windows: each period and the one before it. These can overlap (this year to date
        # against the same dates last year: last year's window and the one just before this
        # year's share most days), so a row joins every window it falls in rather than taking
        # one bucket.
        windows = periods_table(counted, inner_frame, name=ctx.name("retention_windows"))
        frm = frm.join(windows, t.between(windows.c.p_start, windows.c.p_end))
        bucket = windows.c.bucket
    where = ctx.conditions(fact, src)
    span = inner_frame.time_filter(t, lookback=lookback)
    if span is not None:
        where.append(span)
    normal = src.c.status == "normal" if fact == "order_line" else src.c.normal_lines > 0
    where += [normal, src.c.customer_id.is_not(None)]
    act = (
        select(*key_cols, bucket.label(BUCKET), src.c.customer_id)
        .select_from(frm)
        .where(*where)
        .distinct()
        .cte(ctx.name("active_sets"))
    )
    cur, prev = act.alias("act_cur"), act.alias("act_prev")
    keys_match = [_null_safe_equal(cur.c[key_name(d)], prev.c[key_name(d)]) for d in ctx.dims]
    retained = (
        select(
            *(cur.c[key_name(d)] for d in ctx.dims),
            cur.c[BUCKET],
            func.count().label("retained_customers"),
        )
        .select_from(
            cur.join(
                prev,
                and_(
                    prev.c.customer_id == cur.c.customer_id,
                    prev.c[BUCKET] == inner_frame.prev_key(cur.c[BUCKET]),
                    *keys_match,
                ),
            )
        )
        .group_by(*(cur.c[key_name(d)] for d in ctx.dims), cur.c[BUCKET])
    )
    counted_keys = {p.key for p in counted}
    prev_of = {
        inner_frame.prev_period(p).key: p.key
        for p in inner_frame.periods(lookback=0)
        if p.start and p.end and inner_frame.prev_period(p).key in counted_keys
    }
    if inner_frame.mode == "grain":
        forward = _next_key(inner_frame, prev.c[BUCKET])
    else:
        forward = case(
            *((prev.c[BUCKET] == literal(k, Date), literal(v, Date)) for k, v in prev_of.items()),
            else_=cast(null(), Date),
        )
    previous = (
        select(
            *(prev.c[key_name(d)] for d in ctx.dims),
            forward.label(BUCKET),
            func.count().label("previous_customers"),
        )
        .select_from(prev)
        .where(forward <= literal(_last_key(inner_frame), Date))
        .group_by(*(prev.c[key_name(d)] for d in ctx.dims), forward)
    )
    names = [m.name for m in measures]
    both = _outer(ctx, retained, previous, names)
    if frame.mode == "single":
        keep = both.c[BUCKET] == literal(frame.start, Date)
        cols = [both.c[key_name(d)] for d in ctx.dims] + [both.c[n] for n in names]
        return select(*cols).where(keep)
    return select(both).where(both.c[BUCKET].is_not(None))


def _last_key(frame: Frame) -> Any:
    """The key of the last period the answer has (later periods are never computed)."""
    current = frame.current()
    if current:
        return max(p.key for p in current)
    from salesops.metrics.dialects import bucket_of

    assert frame.grain is not None
    return bucket_of(frame.grain, frame.end or frame.cap, frame.fiscal)


def _next_key(frame: Frame, bucket: Any) -> Any:
    from salesops.metrics.dialects import GRAIN_UNITS, add_months

    assert frame.grain is not None
    unit = GRAIN_UNITS[frame.grain]
    return add_months(bucket, unit.months) if unit.months else add_days(bucket, unit.days)


def _outer(ctx: BuildCtx, retained: Select[Any], previous: Select[Any], names: list[str]) -> Any:
    """Both counts per group and bucket (a previous-only group retained nobody)."""
    r = retained.subquery("retained")
    p = previous.subquery("previous")
    keys = [key_name(d) for d in ctx.dims]
    on = and_(*(_null_safe_equal(r.c[k], p.c[k]) for k in keys), r.c[BUCKET] == p.c[BUCKET])
    cols = [p.c[k].label(k) for k in keys] + [p.c[BUCKET].label(BUCKET)]
    values = {
        "retained_customers": func.coalesce(r.c.retained_customers, 0),
        "previous_customers": p.c.previous_customers,
    }
    cols += [values[n].label(n) for n in names]
    return select(*cols).select_from(p.outerjoin(r, on)).subquery(ctx.name("retention"))


def empty_part(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """A part with no rows, its key columns typed like the other parts' (integer ids for
    the looked-up dimensions, text for the others), so it joins and unions with them."""
    cols: list[Any] = [
        cast(null(), Integer if d in dims_mod.LOOKUPS else String).label(key_name(d))
        for d in ctx.dims
    ]
    if ctx.frame.bucketed:
        cols.append(cast(null(), Date).label(BUCKET))
    cols += [literal(0).label(m.name) for m in measures]
    return select(*cols).where(literal(False))


# --------------------------------------------------------------------------- funnel, dwell


def _stage_positions() -> FromClause:
    """Open and won stages with their position and the next stage of the same pipeline."""
    st = PipelineStage
    order = (st.position, st.id)
    return (
        select(
            st.pipeline,
            st.name,
            st.position,
            func.lead(st.name).over(partition_by=st.pipeline, order_by=order).label("next_name"),
            func.lead(st.position)
            .over(partition_by=st.pipeline, order_by=order)
            .label("next_position"),
        )
        .where(st.kind != "lost")
        .subquery("stage_order")
    )


def build_funnel(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """Per stage s: opportunities (created in the period) that reached s / reached the next
    stage; reaching a later stage counts as reaching s, a won deal reached every stage."""
    opp = Opportunity.__table__
    st = PipelineStage.__table__
    t = time_expression("opportunity", "created_on", opp)
    bucket = ctx.frame.bucket(t)
    other_dims = [d for d in ctx.dims if d != "stage"]
    key_cols, joins = ctx.keys("opportunity", opp, other_dims)
    where = ctx.conditions("opportunity", opp, skip=("stage",))
    span = ctx.frame.time_filter(t)
    if span is not None:
        where.append(span)
    base_cols: list[Any] = [*key_cols, opp.c.pipeline, opp.c.status]
    source: Any = dims_mod.join_all(opp, joins)
    if "stage" in ctx.dims:
        # The furthest stage each opportunity reached, from its history: only a per-stage
        # funnel needs it (across all stages the rate is won / created), and replaying the
        # history costs a pass over every stage change.
        entries = stage_entries().subquery("entries")
        reached_entry = (
            select(entries.c.opportunity_id, func.max(st.c.position).label("pos"))
            .select_from(
                entries.join(opp, opp.c.id == entries.c.opportunity_id).join(
                    st, and_(st.c.pipeline == opp.c.pipeline, st.c.name == entries.c.stage)
                )
            )
            .where(st.c.kind != "lost")
            .group_by(entries.c.opportunity_id)
            .subquery("reached_by_history")
        )
        top = (
            select(st.c.pipeline, func.max(st.c.position).label("pos"))
            .where(st.c.kind != "lost")
            .group_by(st.c.pipeline)
            .subquery("top_stage")
        )
        reached = case((opp.c.status == "won", top.c.pos), else_=reached_entry.c.pos)
        base_cols.append(reached.label("pos"))
        source = source.outerjoin(
            reached_entry, reached_entry.c.opportunity_id == opp.c.id
        ).outerjoin(top, top.c.pipeline == opp.c.pipeline)
    if bucket is not None:
        base_cols.append(bucket.label(BUCKET))
    base = select(*base_cols).select_from(source).where(*where).subquery(ctx.name("funnel_opps"))
    keys = [base.c[key_name(d)] for d in other_dims]
    group: list[Any] = list(keys)
    cols: list[Any] = list(keys)
    if bucket is not None:
        group.append(base.c[BUCKET])
    if "stage" not in ctx.dims:
        values = {
            "stage_reached": func.count(),
            "stage_next_reached": func.count().filter(base.c.status == "won"),
        }
        if bucket is not None:
            cols.append(base.c[BUCKET])
        cols += [values[m.name].label(m.name) for m in measures]
        stmt = select(*cols).select_from(base)
        return stmt.group_by(*group) if group else stmt
    so = _stage_positions()
    stage_where: list[Any] = [so.c.next_name.is_not(None)]
    if "stage" in ctx.filters:
        stage_where.append(so.c.name.in_(ctx.filters["stage"]))
    values = {
        "stage_reached": func.count().filter(base.c.pos >= so.c.position),
        "stage_next_reached": func.count().filter(base.c.pos >= so.c.next_position),
    }
    cols = [*keys, so.c.name.label(key_name("stage"))]
    if bucket is not None:
        cols.append(base.c[BUCKET])
    cols += [values[m.name].label(m.name) for m in measures]
    return (
        select(*cols)
        .select_from(base.join(so, so.c.pipeline == base.c.pipeline))
        .where(*stage_where)
        .group_by(*group, so.c.name)
    )


def build_dwell(ctx: BuildCtx, measures: Sequence[Measure]) -> Select[Any]:
    """Days in stage over stays that ended (stage change or close) in the period, from the
    ended stays the writers keep (``opportunity_stage_stay``) or, in a database without them,
    from the history. A stay lasts at least 0 days: a change or close dated before the entry
    ends it at the entry (as the funnel reads it)."""
    if ctx.stays:
        # The kept stays carry the opportunity columns dimensions and scope read: no join.
        kept = OpportunityStageStay.__table__
        stays = select(
            kept.c.opportunity_id.label("id"),
            *(kept.c[n] for n in STAY_COPIES),
            kept.c.stage,
            kept.c.left_on,
            stay_length(kept.c.days).label("days"),
        ).where(~_closing_stage(kept.c.pipeline, kept.c.stage))
        return _dwell_totals(ctx, measures, stays.subquery("stays"))
    opp = Opportunity.__table__
    lo, hi = ctx.frame.span()
    source: Any = stage_entries() if lo is None or hi is None else stays_ending_between(lo, hi)
    entries = source.subquery("entries")
    ended_at = func.coalesce(entries.c.left_at, entries.c.closed_at)
    stays = (
        select(
            *(c for c in opp.c if c.name != "stage"),
            entries.c.stage.label("stage"),
            cast(ended_at, Date).label("left_on"),
            stay_length(seconds_between(entries.c.entered_at, ended_at) / 86400.0).label("days"),
        )
        .select_from(entries.join(opp, opp.c.id == entries.c.opportunity_id))
        .where(ended_at.is_not(None), ~_closing_stage(opp.c.pipeline, entries.c.stage))
    )
    return _dwell_totals(ctx, measures, stays.subquery("stays"))


def _closing_stage(pipeline: Any, stage: Any) -> Any:
    """Whether ``stage`` is a won or lost stage of ``pipeline`` (no time is spent in those)."""
    st = PipelineStage.__table__
    return (
        select(st.c.id)
        .where(st.c.pipeline == pipeline, st.c.name == stage, st.c.kind != "open")
        .exists()
    )


def _dwell_totals(ctx: BuildCtx, measures: Sequence[Measure], stays: Any) -> Select[Any]:
    """Sum of days and number of stays per group and period, by the day a stay ended."""
    t = stays.c.left_on
    bucket = ctx.frame.bucket(t)
    key_cols, joins = ctx.keys("opportunity", stays)
    where = ctx.conditions("opportunity", stays)
    span = ctx.frame.time_filter(t)
    if span is not None:
        where.append(span)
    values = {"dwell_days": func.sum(stays.c.days), "dwell_stays": func.count()}
    aggs = [values[m.name].label(m.name) for m in measures]
    return finish(ctx, stays, joins, key_cols, bucket, aggs, where)
