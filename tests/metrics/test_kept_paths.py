"""Stocks at past month ends (the pipeline, overdue receivables), time in stage, visit
conversion and the collection rate read from the structures the writers keep give the rows the
facts and their history give, in every shape, period and scope.

(The KPI tests check the values themselves on hand-made data; this checks that the fast path
and the reference path — ``MetricsEngine(summary=False)`` — never part.)
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope
from tests.metrics.conftest import World
from tests.metrics.world import TODAY

D = dt.date
STOCKS = ("open_pipeline", "weighted_pipeline", "pipeline_coverage", "open_opportunities",
          "sales_velocity", "overdue_receivables")  # fmt: skip
METRICS = (*STOCKS, "stage_dwell_days", "visit_conversion", "collection_rate")
SHAPES: list[dict[str, Any]] = [
    {},
    {"by": ("region",)},
    {"by": ("rep",)},
    {"by": ("team",)},
    {"by": ("stage",)},
    {"by": ("rep",), "where": (("region", ("华东",)),)},
]
PERIODS: list[dict[str, Any]] = [
    {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "grain": "month"},
    {"start": D(2023, 12, 1), "end": D(2024, 5, 31), "grain": "month", "compare": "prev"},
    {"start": D(2024, 1, 1), "end": D(2024, 12, 31), "grain": "quarter", "compare": "yoy"},
    {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "grain": "week"},  # not month ends
    {"start": D(2024, 1, 1), "end": D(2024, 3, 31)},
    {"start": D(2024, 2, 1), "end": D(2024, 2, 29), "compare": "prev"},
    {"start": D(2024, 1, 1), "end": D(2024, 2, 10), "grain": "quarter"},  # ends mid-month
    {"as_of": D(2024, 2, 29)},
    {"as_of": D(2024, 2, 15)},
]
#: Under a narrower scope (a WHERE on the rep, the same at every date) fewer periods do: months,
#: quarters a year apart, a period ending mid-month, and a month end and another day as of.
SCOPED_PERIODS = [PERIODS[i] for i in (0, 2, 6, 7, 8)]


def _queries(periods: list[dict[str, Any]]) -> list[MetricQuery]:
    out = []
    for shape, period, metric in itertools.product(SHAPES, periods, METRICS):
        if "stage" in shape.get("by", ()) and metric not in ("open_pipeline", "stage_dwell_days"):
            continue
        if "as_of" in period and metric not in STOCKS:
            continue
        out.append(MetricQuery(metric, **shape, **period))
    return out


@pytest.mark.parametrize(
    "scope", [None, "rep:Ann", "team:T-East"], ids=["everything", "one rep", "org subtree"]
)
def test_the_kept_structures_give_the_rows_history_gives(world: World, scope: str | None) -> None:
    sc = world.scope(scope)
    plain = MetricsEngine(world.db.engine, today=TODAY, summary=False)
    # query_many fuses the KPIs of each shape into one statement
    queries = _queries(PERIODS if scope is None else SCOPED_PERIODS)
    fast, slow = world.engine.query_many(queries, sc), plain.query_many(queries, sc)
    checked = 0
    for q, f, s in zip(queries, fast, slow, strict=True):
        assert f.rows == s.rows, q
        checked += any(r.get("value") not in (None, 0) for r in f.rows)
    assert checked > 100  # the data gives numbers, not just empty rows


def test_the_fast_paths_are_taken(world: World) -> None:
    e = world.engine
    monthly = MetricQuery("open_pipeline", grain="month", start=D(2024, 1, 1), end=D(2024, 3, 31))
    e.query(monthly)  # a query reads which month ends the table holds
    sql = e.explain(monthly).sql
    assert "opportunity_month_end" in sql
    # the month ends carry the columns a stock groups and filters by: no join with every deal
    assert "JOIN opportunity ON" not in sql
    # weeks ending on 11, 18 and 25 February: no month end among them
    weekly = MetricQuery("open_pipeline", grain="week", start=D(2024, 2, 5), end=D(2024, 2, 25))
    assert "opportunity_month_end" not in e.explain(weekly).sql
    overdue = MetricQuery(
        "overdue_receivables", grain="month", start=D(2024, 1, 1), end=D(2024, 3, 31)
    )
    assert "payment_month_end" in e.explain(overdue).sql
    overdue_weekly = MetricQuery(
        "overdue_receivables", grain="week", start=D(2024, 2, 5), end=D(2024, 2, 25)
    )
    assert "payment_month_end" not in e.explain(overdue_weekly).sql
    # at 31 Jan PM4 (90, never paid); at 29 Feb also PM3 (80, paid 1 March); at 31 March PM4
    # and PM2 (300, paid in April) — read from the kept sums, as the payments give them
    by_month = [r["value"] for r in e.query(overdue).rows]
    assert by_month == [90.0, 170.0, 390.0]
    # On 3 February PM4 (90, due 31 Dec, never paid) is in payment_open; PM1 (150, due 31 Jan)
    # is paid in full, but only on 5 February: both are overdue then.
    overdue_on = MetricQuery("overdue_receivables", as_of=D(2024, 2, 3))
    assert "payment_open" in e.explain(overdue_on).sql
    assert e.query(overdue_on).rows == [{"value": 240.0}]
    # Due in Q1: PM1 150 (paid 5 Feb), PM3 80 (paid 1 March), PM2 300 (paid 10 April, after
    # the quarter): 230 / 530 — the kept sums date PM1's payment 29 February and PM3's 31 March.
    collection = MetricQuery(
        "collection_rate", grain="quarter", start=D(2024, 1, 1), end=D(2024, 3, 31)
    )
    assert "payment_month" in e.explain(collection).sql
    assert [r["value"] for r in e.query(collection).rows] == [0.433962]
    # 1 Jan – 10 Feb: PM1 is paid by the end (5 Feb), which only the payments themselves show
    early = MetricQuery("collection_rate", start=D(2024, 1, 1), end=D(2024, 2, 10))
    assert "payment_month" not in e.explain(early).sql
    assert e.query(early).rows == [{"value": 1.0}]
    dwell = MetricQuery("stage_dwell_days", start=D(2024, 1, 1), end=D(2024, 3, 31))
    assert "opportunity_stage_stay" in e.explain(dwell).sql
    visits = MetricQuery("visit_conversion", start=D(2024, 1, 1), end=D(2024, 3, 31))
    assert "visit_conversion" in e.explain(visits).sql
    one_rep = Scope.single_rep(world.ids["rep:Ann"])
    assert "visit_conversion AS" not in e.explain(visits, one_rep).sql
    plain = MetricsEngine(world.db.engine, today=TODAY, summary=False)
    assert "opportunity_stage_stay" not in plain.explain(dwell).sql
