"""The measures KPIs are made of: named aggregates over one fact each, defined once.

A measure says *what* is aggregated — fact, time column, row condition, row value and aggregate
— never *how* it is computed fast: the compiler may answer it from an equivalent structure
(``order_header`` for order and customer counts, summary tables), invisibly to the catalog.

Kinds, each compiled by its own builder (``salesops.metrics.compiler``):

* ``flow``      rows whose time column falls in the period (revenue, won deals ...);
* ``per_customer`` two steps: per customer in the group, then over customers (repeat buyers);
* ``snapshot``  rows as they stood at the end of the period (open pipeline from history,
  overdue receivables);
* ``interval``  rows whose [start, end] dates overlap the period (reps active in it);
* ``retention`` customers active in the previous period and in this one;
* ``funnel`` / ``dwell`` opportunities' stage history (conversion, time in stage);
* ``visit``     visited customers and those who bought within 90 days after a visit;
* ``target``    the target table (this period's, or the next period's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    FromClause,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from salesops.config import get_settings
from salesops.db.tables import Customer, Opportunity, OrderHeader, PipelineStage, Target
from salesops.metrics.dialects import add_months, days_between

MeasureKind = Literal[
    "flow",
    "per_customer",
    "snapshot",
    "interval",
    "retention",
    "funnel",
    "dwell",
    "visit",
    "target",
]


@dataclass(frozen=True)
class RowCtx:
    """What a row condition may refer to besides the fact: its period's bounds (SQL)."""

    period_start: ColumnElement[Any] | None
    period_end: ColumnElement[Any] | None
    as_of: ColumnElement[Any] | None = None


Cond = Callable[[FromClause, RowCtx], ColumnElement[bool]]
Value = Callable[[FromClause, RowCtx], ColumnElement[Any]]


@dataclass(frozen=True)
class Measure:
    """One aggregate over one fact.

    ``agg``: ``sum`` of ``value``, ``count`` of rows (``value`` None) or of non-null ``value``,
    ``count_distinct`` of ``value``. ``where``: the rows counted. ``zero``: a group without
    rows of this measure (but with rows of another measure of the KPI) reads 0, else NULL.
    ``params``: builder-specific settings (e.g. which window a target is for).
    """

    name: str
    fact: str
    kind: MeasureKind = "flow"
    time: str | None = None
    agg: Literal["sum", "count", "count_distinct"] = "sum"
    value: Value | None = None
    where: Cond | None = None
    zero: bool = True
    params: tuple[tuple[str, Any], ...] = field(default=())

    def param(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)


def _c(name: str) -> Value:
    return lambda t, ctx: t.c[name]


#: Months a target of each grain covers (a rep's quota counts for the periods it overlaps).
_TARGET_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _is_seller(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    """The rep ``t`` sold in the period: a normal order of theirs dated in it (the order's
    rep, read from ``order_header`` as order counts are: a third of the rows of the lines, and
    measured 348 → 196 ms for revenue per rep by team on the small demo), a deal they own open
    at any time in it (created by its end, not closed before its start), or a quota (a rep
    target whose period overlaps it). Without bounds: ever. A manager the importer created
    from a reference has none of these, so never lowers revenue per rep."""
    ol, op, tg = OrderHeader.__table__, Opportunity.__table__, Target.__table__
    start, end = ctx.period_start, ctx.period_end
    orders = [ol.c.rep_id == t.c.id, ol.c.normal_lines > 0]
    deals = [op.c.owner_id == t.c.id]
    quotas = [tg.c.rep_id == t.c.id, tg.c.scope_kind == "rep"]
    if start is not None and end is not None:
        orders += [ol.c.order_date >= start, ol.c.order_date <= end]
        deals += [op.c.created_on <= end, or_(op.c.closed_on.is_(None), op.c.closed_on >= start)]
        quotas += [
            tg.c.period_start <= end,
            or_(
                *(
                    and_(tg.c.period_grain == grain, add_months(tg.c.period_start, n) > start)
                    for grain, n in _TARGET_MONTHS.items()
                )
            ),
        ]
    return or_(
        exists().where(*orders),
        exists().where(*deals),
        exists().where(*quotas),
    )


def _eq(name: str, value: str) -> Cond:
    return lambda t, ctx: t.c[name] == value


def _normal(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return t.c.status == "normal"


def _costed(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(t.c.status == "normal", t.c.cost.is_not(None))


def _won_with_created(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(t.c.status == "won", t.c.created_on.is_not(None), t.c.closed_on.is_not(None))


def stage_probability(t: FromClause) -> ColumnElement[Any]:
    """The opportunity's probability, else its stage's default probability, else 0."""
    stage = PipelineStage
    default = (
        select(stage.probability)
        .where(stage.pipeline == t.c.pipeline, stage.name == t.c.stage)
        .scalar_subquery()
    )
    return func.coalesce(t.c.probability, default, literal(0))


def _paid_by_end(t: FromClause, ctx: RowCtx) -> ColumnElement[Any]:
    paid = func.coalesce(t.c.paid_amount, literal(0))
    if ctx.period_end is None:
        return case((t.c.paid_date.is_not(None), paid), else_=literal(0))
    return case((t.c.paid_date <= ctx.period_end, paid), else_=literal(0))


def _outstanding(t: FromClause, ctx: RowCtx) -> ColumnElement[Any]:
    assert ctx.as_of is not None
    paid = case((t.c.paid_date <= ctx.as_of, func.coalesce(t.c.paid_amount, 0)), else_=0)
    return func.coalesce(t.c.due_amount, 0) - paid


def _overdue(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(t.c.due_date < ctx.as_of, _outstanding(t, ctx) > 0)


def _expected_next(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    # For snapshot measures the builder gives the *next* period's bounds in period_start/end.
    assert ctx.period_start is not None and ctx.period_end is not None
    return t.c.expected_close_on.between(ctx.period_start, ctx.period_end)


@lru_cache(maxsize=16)
def fixed_offset_seconds(zone: str) -> int | None:
    """The zone's UTC offset in seconds when it has no daylight saving (Asia/Shanghai: +8 h)
    in 1995-2040, else None. A fixed offset turns local dates into plain arithmetic."""
    tz = ZoneInfo(zone)
    offsets = {
        dt.datetime(year, month, 1, tzinfo=tz).utcoffset()
        for year in range(1995, 2041)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return None if offset is None else int(offset.total_seconds())


def _local_date(t: FromClause, ctx: RowCtx) -> ColumnElement[Any]:
    """An activity's UTC timestamp as a date in the configured time zone."""
    zone = get_settings().timezone
    offset = fixed_offset_seconds(zone)
    if offset is not None:
        return cast(t.c.occurred_at + literal_column(f"INTERVAL '{offset} seconds'"), Date)
    return cast(t.c.occurred_at.op("AT TIME ZONE")("UTC").op("AT TIME ZONE")(zone), Date)


def _acquired_in_period(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    """A costed normal order line of a customer whose first-ever normal order falls in the
    period (without bounds: of any customer that has a first order). With bounds that are
    columns (a trend's buckets) an EXISTS on the customer's id, which DuckDB turns into a join
    (an IN over such bounds was a correlated subquery per row); with bounds that are values,
    an IN over the period's new customers (see below)."""
    c = Customer.__table__
    new: list[ColumnElement[bool]] = [c.c.first_order_on.is_not(None)]
    bounds = (ctx.period_start, ctx.period_end)
    if bounds[0] is not None and bounds[1] is not None:
        new += [c.c.first_order_on >= bounds[0], c.c.first_order_on <= bounds[1]]
    if not any(b is not None and b._from_objects for b in bounds):
        # Bounds that are values (a total, a single period): an IN over one list of
        # customers. PostgreSQL turns an EXISTS in an aggregate's CASE into a lookup per
        # order line (748 k index probes, 9 s of the market page at ``medium``) but hashes an
        # uncorrelated IN once; DuckDB reads both as a join.
        return and_(_costed(t, ctx), t.c.customer_id.in_(select(c.c.id).where(*new)))
    return and_(_costed(t, ctx), exists().where(c.c.id == t.c.customer_id, *new))


def sla_days(priority: ColumnElement[Any]) -> ColumnElement[Any]:
    """The SLA of a feedback item's priority in days (settings ``feedback_sla_days``; a
    priority not listed, or none, gets ``feedback_sla_default_days``)."""
    settings = get_settings()
    table = sorted(settings.feedback_sla_days.items())
    default = literal(int(settings.feedback_sla_default_days))
    if not table:
        return default
    return case(
        *((func.lower(priority) == name.lower(), literal(int(days))) for name, days in table),
        else_=default,
    )


def _within_sla(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    """Resolved no later than its due date: the one set on the item, else received + SLA."""
    allowed = func.coalesce(days_between(t.c.received_on, t.c.due_on), sla_days(t.c.priority))
    return and_(
        t.c.received_on.is_not(None),
        days_between(t.c.received_on, t.c.resolved_on) <= allowed,
    )


#: Time columns that are not plain date columns of the fact.
TIME_EXPRESSIONS: dict[tuple[str, str], Value] = {("activity", "occurred_at"): _local_date}


def coarse_time_filter(
    fact: str, column: str, t: FromClause, lo: dt.date | None, hi: dt.date | None
) -> ColumnElement[bool] | None:
    """For a timestamp time column: a condition on the raw column that keeps every row whose
    local date is in [lo, hi] (a day of margin each side covers any time zone), so the
    database can skip blocks by the stored value before converting it."""
    if (fact, column) not in TIME_EXPRESSIONS:
        return None
    conds = []
    if lo is not None:
        conds.append(t.c[column] >= dt.datetime.combine(lo - dt.timedelta(days=1), dt.time()))
    if hi is not None:
        conds.append(t.c[column] < dt.datetime.combine(hi + dt.timedelta(days=2), dt.time()))
    return and_(*conds) if conds else None


@dataclass(frozen=True)
class LocalDay:
    """A timestamp column's local date, compared with dates on the stored timestamp itself.

    With a fixed UTC offset the comparisons are exact — local date >= D exactly when the
    timestamp is at or after D 00:00 minus the offset — so the database compares stored
    values (and skips blocks by them) instead of converting every row to a local date.
    Supports what period filters use: ``>=``, ``>``, ``<=``, ``<`` and ``between``.
    """

    column: ColumnElement[Any]
    offset_seconds: int

    def _start(self, day: dt.date) -> dt.datetime:
        """The UTC time the local ``day`` starts at."""
        return dt.datetime.combine(day, dt.time()) - dt.timedelta(seconds=self.offset_seconds)

    def __ge__(self, day: dt.date) -> ColumnElement[bool]:
        return self.column >= self._start(day)

    def __gt__(self, day: dt.date) -> ColumnElement[bool]:
        return self.column >= self._start(day + dt.timedelta(days=1))

    def __le__(self, day: dt.date) -> ColumnElement[bool]:
        return self.column < self._start(day + dt.timedelta(days=1))

    def __lt__(self, day: dt.date) -> ColumnElement[bool]:
        return self.column < self._start(day)

    def between(self, lo: dt.date, hi: dt.date) -> ColumnElement[bool]:
        return and_(self >= lo, self <= hi)


def local_day(fact: str, column: str, t: FromClause) -> LocalDay | None:
    """The time column as a :class:`LocalDay` when it is a timestamp counted on its local
    date in a zone with a fixed offset (Asia/Shanghai), else None."""
    if (fact, column) not in TIME_EXPRESSIONS:
        return None
    offset = fixed_offset_seconds(get_settings().timezone)
    return None if offset is None else LocalDay(t.c[column], offset)


def time_expression(fact: str, column: str, t: FromClause) -> ColumnElement[Any]:
    """The date a row of ``fact`` counts on (time zone applied to timestamps)."""
    special = TIME_EXPRESSIONS.get((fact, column))
    if special is not None:
        return special(t, RowCtx(None, None))
    return t.c[column]


#: Task sources that are not warnings (issue #28); every other source is a task rule's name.
NOT_WARNINGS = ("manual", "review", "alert")
#: A warning counts as followed up when its task was done within this many days.
FOLLOW_UP_DAYS = 7


def _not_cancelled(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return t.c.status != "cancelled"


def _done_on_time(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(t.c.status == "done", t.c.done_on <= t.c.due_on)


def _from_rule(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return t.c.source.not_in(NOT_WARNINGS)


def _followed(t: FromClause, ctx: RowCtx) -> ColumnElement[bool]:
    return and_(
        t.c.source.not_in(NOT_WARNINGS),
        t.c.status == "done",
        t.c.done_on <= t.c.created_on + literal_column(f"INTERVAL '{FOLLOW_UP_DAYS} days'"),
    )


def _all_measures() -> tuple[Measure, ...]:
    ol, op = "order_line", "opportunity"
    return (
        # ---------------------------------------------------------------- orders
        Measure("revenue", ol, time="order_date", value=_c("amount"), where=_normal),
        Measure("units_sold", ol, time="order_date", value=_c("quantity"), where=_normal),
        Measure(
            "gross_profit",
            ol,
            time="order_date",
            value=lambda t, ctx: t.c.amount - t.c.cost,
            where=_costed,
        ),
        Measure("costed_revenue", ol, time="order_date", value=_c("amount"), where=_costed),
        Measure(
            "orders",
            ol,
            time="order_date",
            agg="count_distinct",
            value=_c("order_id"),
            where=_normal,
        ),
        Measure(
            "active_customers",
            ol,
            time="order_date",
            agg="count_distinct",
            value=_c("customer_id"),
            where=_normal,
        ),
        Measure(
            "repeat_customers",
            ol,
            kind="per_customer",
            time="order_date",
            where=_normal,
            params=(("min_orders", 2),),
        ),
        Measure(
            "new_customers",
            "customer",
            time="first_order_on",
            agg="count",
        ),
        # ---------------------------------------------------------------- deals
        Measure("bookings", op, time="closed_on", value=_c("amount"), where=_eq("status", "won")),
        Measure("won_deals", op, time="closed_on", agg="count", where=_eq("status", "won")),
        Measure("lost_deals", op, time="closed_on", agg="count", where=_eq("status", "lost")),
        Measure(
            "cycle_days",
            op,
            time="closed_on",
            value=lambda t, ctx: days_between(t.c.created_on, t.c.closed_on),
            where=_won_with_created,
        ),
        Measure("cycle_deals", op, time="closed_on", agg="count", where=_won_with_created),
        Measure("new_opportunities", op, time="created_on", agg="count"),
        Measure("new_pipeline", op, time="created_on", value=_c("amount")),
        Measure("open_pipeline", op, kind="snapshot", value=_c("amount")),
        Measure("open_opportunities", op, kind="snapshot", agg="count"),
        Measure(
            "weighted_pipeline",
            op,
            kind="snapshot",
            value=lambda t, ctx: func.coalesce(t.c.amount, 0) * stage_probability(t),
        ),
        Measure(
            "coverage_pipeline",
            op,
            kind="snapshot",
            value=_c("amount"),
            where=_expected_next,
            params=(("window", "next"),),
        ),
        Measure(
            "next_target",
            "target",
            kind="target",
            zero=False,
            params=(("window", "next"), ("metric", "bookings")),
        ),
        Measure(
            "next_achieved",
            op,
            time="closed_on",
            value=_c("amount"),
            where=_eq("status", "won"),
            params=(("window", "next_to_date"),),
        ),
        Measure("stage_reached", op, kind="funnel", agg="count", params=(("step", "from"),)),
        Measure("stage_next_reached", op, kind="funnel", agg="count", params=(("step", "to"),)),
        Measure("dwell_days", op, kind="dwell"),
        Measure("dwell_stays", op, kind="dwell", agg="count"),
        # ---------------------------------------------------------------- leads, payments
        Measure("leads", "lead", time="created_on", agg="count"),
        Measure(
            "converted_leads",
            "lead",
            time="created_on",
            agg="count",
            where=lambda t, ctx: t.c.opportunity_id.is_not(None),
        ),
        Measure("due_amount", "payment", time="due_date", value=_c("due_amount")),
        Measure("paid_by_end", "payment", time="due_date", value=_paid_by_end),
        Measure(
            "overdue_receivables", "payment", kind="snapshot", value=_outstanding, where=_overdue
        ),
        # ---------------------------------------------------------------- customers, market
        Measure("marketing_spend", "marketing_spend", time="period_start", value=_c("amount")),
        Measure("retained_customers", ol, kind="retention", params=(("side", "both"),)),
        Measure("previous_customers", ol, kind="retention", params=(("side", "previous"),)),
        Measure(
            "sellers",
            "rep",
            kind="interval",
            agg="count_distinct",
            value=_c("id"),
            where=_is_seller,
        ),
        Measure("market_size", "market_size", time="period_start", value=_c("amount"), zero=False),
        # issue #25: penetration and the channels' return
        Measure(
            "target_accounts",
            "market_size",
            time="period_start",
            value=_c("accounts"),
            where=lambda t, ctx: t.c.accounts.is_not(None),
            zero=False,
        ),
        Measure(
            "new_customer_gross_profit",
            ol,
            time="order_date",
            value=lambda t, ctx: t.c.amount - t.c.cost,
            where=_acquired_in_period,
        ),
        Measure("target", "target", kind="target", zero=False, params=(("window", "this"),)),
        # ---------------------------------------------------------------- activities, feedback
        Measure("activities", "activity", time="occurred_at", agg="count"),
        # issue #28: follow-up tasks (a task is closed as done or cancelled)
        Measure("tasks_due", "task", time="due_on", agg="count", where=_not_cancelled),
        Measure("tasks_done_on_time", "task", time="due_on", agg="count", where=_done_on_time),
        Measure("warnings_raised", "task", time="created_on", agg="count", where=_from_rule),
        Measure("warnings_followed_up", "task", time="created_on", agg="count", where=_followed),
        Measure("visited_customers", "activity", kind="visit", params=(("converted", False),)),
        Measure("converted_customers", "activity", kind="visit", params=(("converted", True),)),
        Measure(
            "promoters",
            "feedback",
            time="received_on",
            agg="count",
            where=lambda t, ctx: t.c.nps >= 9,
        ),
        Measure(
            "detractors",
            "feedback",
            time="received_on",
            agg="count",
            where=lambda t, ctx: t.c.nps <= 6,
        ),
        Measure("nps_responses", "feedback", time="received_on", agg="count", value=_c("nps")),
        Measure("csat_sum", "feedback", time="received_on", value=_c("csat")),
        Measure("csat_responses", "feedback", time="received_on", agg="count", value=_c("csat")),
        Measure(
            "resolution_days",
            "feedback",
            time="resolved_on",
            value=lambda t, ctx: days_between(t.c.received_on, t.c.resolved_on),
            where=lambda t, ctx: t.c.received_on.is_not(None),
        ),
        Measure(
            "resolved_feedback",
            "feedback",
            time="resolved_on",
            agg="count",
            where=lambda t, ctx: t.c.received_on.is_not(None),
        ),
        # issue #25: the closed loop
        Measure(
            "first_response_days",
            "feedback",
            time="received_on",
            value=lambda t, ctx: days_between(t.c.received_on, t.c.first_response_on),
            where=lambda t, ctx: t.c.first_response_on.is_not(None),
        ),
        Measure(
            "responded_feedback",
            "feedback",
            time="received_on",
            agg="count",
            where=lambda t, ctx: t.c.first_response_on.is_not(None),
        ),
        Measure(
            "resolved_within_sla", "feedback", time="resolved_on", agg="count", where=_within_sla
        ),
        Measure(
            "informed_feedback",
            "feedback",
            time="resolved_on",
            agg="count",
            where=lambda t, ctx: and_(t.c.received_on.is_not(None), t.c.status == "informed"),
        ),
    )


MEASURES: dict[str, Measure] = {m.name: m for m in _all_measures()}


def measure(name: str) -> Measure:
    """The measure called ``name``."""
    return MEASURES[name]
