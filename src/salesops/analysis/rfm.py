"""RFM scores and the eight classic customer segments (RFM 客户分群), as of a date.

Definition (docs/analyses.md), for the customers with at least one normal order in scope on or
before ``as_of``:

* **R** (recency) = days from the last normal order to ``as_of``;
* **F** (frequency) = distinct orders with ``as_of - 365 days < order_date <= as_of``;
* **M** (monetary) = revenue of those orders (normal lines).

Scores 1-5 are quintiles: ``NTILE(5)`` over those customers, ordered by last order date (older
first, so the most recent get R = 5), by F and by M ascending; ties go by customer id, so equal
values can straddle a quintile border, but the order is always the same.

Segments compare the raw values with their mean over the same customers: R is *high* when the
recency is below the mean (more recent than average), F and M are high when above the mean; a
value equal to the mean is low. The comparisons are exact (``value * n`` against the sum).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, ColumnElement, Date, Engine, and_, case, func, literal, select

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Money,
    NormalFilters,
    Result,
    as_float,
    money,
    normalise_filters,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable, orders
from salesops.db.schema import Customer
from salesops.metrics.scope import FULL_SCOPE, Scope

#: Segment id -> (中文, English), in the classic order; keyed by (R high, F high, M high).
SEGMENTS: dict[str, tuple[str, str]] = {
    "important_value": ("重要价值客户", "Important value"),
    "important_develop": ("重要发展客户", "Important to develop"),
    "important_keep": ("重要保持客户", "Important to keep"),
    "important_win_back": ("重要挽留客户", "Important to win back"),
    "general_value": ("一般价值客户", "General value"),
    "general_develop": ("一般发展客户", "General to develop"),
    "general_keep": ("一般保持客户", "General to keep"),
    "general_win_back": ("一般挽留客户", "General to win back"),
}
_BY_FLAGS: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_keep",
    (False, False, True): "important_win_back",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_keep",
    (False, False, False): "general_win_back",
}
WINDOW_DAYS = 365


class RfmCustomer(Result):
    customer_id: int
    customer: str
    last_order_on: dt.date
    recency_days: int
    frequency: int
    monetary: Money
    r_score: int
    f_score: int
    m_score: int
    rfm: str  # "545": the three scores
    r_high: bool
    f_high: bool
    m_high: bool
    segment: str


class RfmSegment(Result):
    segment: str
    name_zh: str
    name_en: str
    customers: int
    customer_share: float | None
    monetary: Money
    mean_recency_days: float | None
    mean_frequency: float | None


class RfmResult(Result):
    as_of: dt.date
    window_start: dt.date
    customers: int
    mean_recency_days: float | None
    mean_frequency: float | None
    mean_monetary: float | None
    segments: list[RfmSegment]
    rows: list[RfmCustomer]


def _is(condition: ColumnElement[bool], wanted: bool) -> ColumnElement[bool]:
    return condition if wanted else ~condition


def _scored(scope: Scope, filters: NormalFilters, as_of: dt.date, start: dt.date) -> CTE:
    o = orders(scope, filters, until=as_of)
    in_window = o.c.order_date >= start
    per = (
        select(
            o.c.customer_id,
            func.max(o.c.order_date).label("last_order_on"),
            func.count(case((in_window, literal(1)))).label("frequency"),
            func.coalesce(func.sum(case((in_window, o.c.amount))), literal(Decimal("0"))).label(
                "monetary"
            ),
        )
        .group_by(o.c.customer_id)
        .cte("rfm_customer")
    )
    recency = literal(as_of, Date) - per.c.last_order_on
    scored = select(
        per,
        recency.label("recency_days"),
        func.ntile(5).over(order_by=(per.c.last_order_on, per.c.customer_id)).label("r_score"),
        func.ntile(5).over(order_by=(per.c.frequency, per.c.customer_id)).label("f_score"),
        func.ntile(5).over(order_by=(per.c.monetary, per.c.customer_id)).label("m_score"),
        func.count().over().label("n"),
        func.sum(recency).over().label("sum_r"),
        func.sum(per.c.frequency).over().label("sum_f"),
        func.sum(per.c.monetary).over().label("sum_m"),
    ).cte("rfm_scored")
    r_high = scored.c.recency_days * scored.c.n < scored.c.sum_r
    f_high = scored.c.frequency * scored.c.n > scored.c.sum_f
    m_high = scored.c.monetary * scored.c.n > scored.c.sum_m
    segment = case(
        *[
            (and_(_is(r_high, rh), _is(f_high, fh), _is(m_high, mh)), seg)
            for (rh, fh, mh), seg in _BY_FLAGS.items()
        ],
        else_="general_win_back",
    )
    return select(
        scored,
        r_high.label("r_high"),
        f_high.label("f_high"),
        m_high.label("m_high"),
        segment.label("segment"),
    ).cte("rfm_result")


def rfm(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    as_of: dt.date | None = None,
    segment: str | None = None,
    limit: int | None = None,
) -> RfmResult:
    """RFM scores and segments of the customers in ``scope`` as of ``as_of`` (default today).

    ``rows`` (optionally only one ``segment``, at most ``limit``) are ordered by M, F, R score
    descending then customer id; ``segments`` summarises all eight, empty ones included.
    """
    if segment is not None and segment not in SEGMENTS:
        raise AnalysisError(f"unknown RFM segment {segment!r}; known: {', '.join(SEGMENTS)}")
    flt = normalise_filters(filters)
    check_applicable(flt, ("order_header",), "rfm")
    day = resolve_as_of(as_of)
    start = day - dt.timedelta(days=WINDOW_DAYS - 1)
    result = _scored(scope, flt, day, start)
    overall_q = select(
        func.count().label("n"),
        func.avg(result.c.recency_days).label("r"),
        func.avg(result.c.frequency).label("f"),
        func.avg(result.c.monetary).label("m"),
    )
    segments_q = select(
        result.c.segment,
        func.count().label("customers"),
        func.sum(result.c.monetary).label("monetary"),
        func.avg(result.c.recency_days).label("r"),
        func.avg(result.c.frequency).label("f"),
    ).group_by(result.c.segment)
    rows_q: Any = select(result, Customer.name).join(Customer, Customer.id == result.c.customer_id)
    if segment is not None:
        rows_q = rows_q.where(result.c.segment == segment)
    rows_q = rows_q.order_by(
        result.c.m_score.desc(),
        result.c.f_score.desc(),
        result.c.r_score.desc(),
        result.c.customer_id,
    ).limit(limit)
    with engine.connect() as conn:
        overall = conn.execute(overall_q).one()
        by_segment = {r.segment: r for r in conn.execute(segments_q)}
        rows = conn.execute(rows_q).all()
    n = int(overall.n)
    return RfmResult(
        as_of=day,
        window_start=start,
        customers=n,
        mean_recency_days=as_float(overall.r),
        mean_frequency=as_float(overall.f),
        mean_monetary=as_float(overall.m),
        segments=[_segment(seg, by_segment.get(seg), n) for seg in SEGMENTS],
        rows=[_row(r) for r in rows],
    )


def _segment(seg: str, row: Any, n: int) -> RfmSegment:
    zh, en = SEGMENTS[seg]
    count = int(row.customers) if row is not None else 0
    return RfmSegment(
        segment=seg,
        name_zh=zh,
        name_en=en,
        customers=count,
        customer_share=round(count / n, 4) if n else None,
        monetary=money(row.monetary if row is not None else None),
        mean_recency_days=as_float(row.r) if row is not None else None,
        mean_frequency=as_float(row.f) if row is not None else None,
    )


def _row(r: Any) -> RfmCustomer:
    return RfmCustomer(
        customer_id=r.customer_id,
        customer=r.name,
        last_order_on=r.last_order_on,
        recency_days=int(r.recency_days),
        frequency=int(r.frequency),
        monetary=money(r.monetary),
        r_score=int(r.r_score),
        f_score=int(r.f_score),
        m_score=int(r.m_score),
        rfm=f"{r.r_score}{r.f_score}{r.m_score}",
        r_high=bool(r.r_high),
        f_high=bool(r.f_high),
        m_high=bool(r.m_high),
        segment=r.segment,
    )
