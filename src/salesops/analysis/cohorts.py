"""Cohort retention by first-order month (按首单月份的客户留存), heatmap data.

Definition (docs/analyses.md): a customer's cohort is the month of its first normal order in
scope (and filters) on or before ``as_of``. For cohort month M and k = 0 .. ``months``, the
retention of month k is the share of the cohort's customers with a normal order in month M + k
(k = 0 is 100 % by definition). Months after the month of ``as_of`` are not reported, so young
cohorts have shorter rows. Only cohorts with customers are listed. The summary line averages
each month offset over the cohorts that have reached it, weighted by cohort size.

The counting (first months, active months, distinct customers per cell) runs in SQL; months
are integers ``year * 12 + month - 1`` so both databases compute them identically.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, Integer, cast, extract, func, select

from salesops.analysis.common import (
    AnalysisError,
    Filters,
    Result,
    check_period,
    normalise_filters,
    resolve_as_of,
)
from salesops.analysis.facts import check_applicable, orders
from salesops.metrics.scope import FULL_SCOPE, Scope


class Cohort(Result):
    cohort: str  # "2025-01"
    customers: int
    retained: list[int]  # customers with an order in month k = 0, 1, ...
    retention: list[float]  # retained / customers


class CohortAverage(Result):
    month: int
    cohorts: int
    customers: int
    retained: int
    retention: float | None


class CohortsResult(Result):
    as_of: dt.date
    start: str
    end: str
    months: int
    cohorts: list[Cohort]
    average: list[CohortAverage]


def month_index(day: dt.date) -> int:
    """``year * 12 + month - 1``: consecutive integers for consecutive months."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    """``2025-01`` for :func:`month_index` of any day of January 2025."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_of(column: Any) -> Any:
    return cast(extract("year", column), Integer) * 12 + cast(extract("month", column), Integer) - 1


def cohort_retention(
    engine: Engine,
    scope: Scope = FULL_SCOPE,
    filters: Filters | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    months: int = 12,
    as_of: dt.date | None = None,
) -> CohortsResult:
    """Retention of the cohorts whose first-order month lies in the months of ``start`` .. ``end``.

    Defaults: ``as_of`` today, ``end`` = ``as_of``, ``start`` = 11 months before ``end`` (12
    cohorts); ``months`` is the last month offset shown (0 .. 120).
    """
    if not 0 <= months <= 120:
        raise AnalysisError("months must be between 0 and 120")
    flt = normalise_filters(filters)
    check_applicable(flt, ("order_header",), "cohorts")
    day = resolve_as_of(as_of)
    end = end or day
    first_month = month_index(start) if start else month_index(end) - 11
    check_period(start, end)
    last_cohort = min(month_index(end), month_index(day))
    last_seen = month_index(day)

    o = orders(scope, flt, until=day)
    active = (
        select(o.c.customer_id, _month_of(o.c.order_date).label("m")).distinct().cte("co_active")
    )
    firsts = (
        select(active.c.customer_id, func.min(active.c.m).label("cohort"))
        .group_by(active.c.customer_id)
        .cte("co_first")
    )
    offset = active.c.m - firsts.c.cohort
    cells_q = (
        select(firsts.c.cohort, offset.label("k"), func.count().label("n"))
        .join(active, active.c.customer_id == firsts.c.customer_id)
        .where(firsts.c.cohort.between(first_month, last_cohort), offset <= months)
        .group_by(firsts.c.cohort, offset)
        .order_by(firsts.c.cohort, offset)
    )
    with engine.connect() as conn:
        cells = conn.execute(cells_q).all()
    counts: dict[int, dict[int, int]] = {}
    for cohort, k, n in cells:
        counts.setdefault(int(cohort), {})[int(k)] = int(n)
    cohorts: list[Cohort] = []
    for cohort in sorted(counts):
        size = counts[cohort][0]
        span = min(months, last_seen - cohort)
        retained = [counts[cohort].get(k, 0) for k in range(span + 1)]
        cohorts.append(
            Cohort(
                cohort=month_label(cohort),
                customers=size,
                retained=retained,
                retention=[round(n / size, 4) for n in retained],
            )
        )
    return CohortsResult(
        as_of=day,
        start=month_label(first_month),
        end=month_label(last_cohort),
        months=months,
        cohorts=cohorts,
        average=_average(cohorts, months),
    )


def _average(cohorts: list[Cohort], months: int) -> list[CohortAverage]:
    """Per month offset: retained / customers over the cohorts that reached it."""
    out: list[CohortAverage] = []
    for k in range(months + 1):
        reached = [c for c in cohorts if len(c.retained) > k]
        if not reached:
            break
        customers = sum(c.customers for c in reached)
        retained = sum(c.retained[k] for c in reached)
        out.append(
            CohortAverage(
                month=k,
                cohorts=len(reached),
                customers=customers,
                retained=retained,
                retention=round(retained / customers, 4) if customers else None,
            )
        )
    return out
