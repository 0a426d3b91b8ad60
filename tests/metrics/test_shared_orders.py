"""An order whose lines name two customers counts for both in every customer-level number.

Hand-made data (imported through the importer, both databases):

* S1, 2024-01-15: line 1 customer A, 200 (cost 100); line 2 customer B, 300 (cost 150);
* S2, 2024-04-20: customer B alone, 400 (cost 200).

Before ``order_header.shared`` the header of S1 named A only: B had order lines (revenue by
customer showed it) but no first-order date, so it was neither new nor active in Q1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesops.analysis.lifecycle import lifecycle
from salesops.analysis.rfm import rfm
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope
from tests.conftest import Db
from tests.ingest.helpers import ok, rows, write_csv

Q1 = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
Q2 = (dt.date(2024, 4, 1), dt.date(2024, 6, 30))  # 91 days
H1 = (dt.date(2024, 1, 1), dt.date(2024, 6, 30))

_LINES = [
    ["order_no", "line_no", "order_date", "customer", "amount", "cost"],
    ["S1", "1", "2024-01-15", "A", "200", "100"],
    ["S1", "2", "2024-01-15", "B", "300", "150"],
    ["S2", "1", "2024-04-20", "B", "400", "200"],
]


@pytest.fixture
def shared(db: Db, tmp_path: Path) -> MetricsEngine:
    write_csv(
        tmp_path / "c.csv",
        [["external_id", "name", "region"], ["A", "Alpha", "East"], ["B", "Beta", "West"]],
    )
    ok(db, "customer", tmp_path / "c.csv")
    report = ok(db, "order_line", write_csv(tmp_path / "l.csv", _LINES))
    assert report.quality is not None
    found = {f.check: f.count for f in report.quality.findings}
    assert found["order_customers"] == 1  # and the import said so
    return MetricsEngine(db.engine, today=dt.date(2024, 7, 15))


def _value(engine: MetricsEngine, metric: str, period: tuple[dt.date, dt.date]) -> object:
    result = engine.query(MetricQuery(metric, start=period[0], end=period[1]))
    [row] = result.rows
    return row["value"]


CASES = [
    ("active_customers", Q1, 2),  # A and B both bought in S1
    ("new_customers", Q1, 2),  # both first ordered on 2024-01-15
    ("orders", Q1, 1),  # S1 is one order
    ("revenue", Q1, 500.0),  # 200 + 300
    ("aov", Q1, 500.0),  # 500 / 1 order
    ("active_customers", Q2, 1),  # B (S2)
    ("new_customers", Q2, 0),
    ("retention_rate", Q2, 0.5),  # active in Q1: A, B; again in Q2: B
    ("repeat_rate", H1, 0.5),  # B ordered twice (S1, S2), A once: 1 / 2
    # revenue per active customer 400 / 1 x 365 / 91 days x margin 0.5 x 1 / annual churn
    # (1 - 0.5 ^ (365 / 91) = 0.937974): 1604.3956 x 0.5 x 1.066127 = 855.245
    ("clv", Q2, 855.245),
]


@pytest.mark.parametrize(("metric", "period", "expected"), CASES)
def test_customer_kpis_count_both_customers(
    shared: MetricsEngine, metric: str, period: tuple[dt.date, dt.date], expected: object
) -> None:
    assert _value(shared, metric, period) == expected


def test_first_order_dates_lifecycle_and_rfm(shared: MetricsEngine, db: Db) -> None:
    assert rows(db, "SELECT order_no, shared FROM order_header ORDER BY 1") == [
        ("S1", True),
        ("S2", None),
    ]
    assert rows(
        db, "SELECT external_id, first_order_on, last_order_on FROM customer ORDER BY 1"
    ) == [
        ("A", dt.date(2024, 1, 15), dt.date(2024, 1, 15)),
        ("B", dt.date(2024, 1, 15), dt.date(2024, 4, 20)),
    ]
    # as of 2024-03-31 both first ordered 76 days ago: both new
    stages = {r.customer: (r.stage, r.orders) for r in lifecycle(db.engine, as_of=Q1[1]).rows}
    assert stages == {"Alpha": ("new", 1), "Beta": ("new", 1)}
    # RFM as of 2024-06-30: A one order of 200, B two orders (its S1 line, S2) of 700
    found = {r.customer: (r.frequency, float(r.monetary)) for r in rfm(db.engine, as_of=H1[1]).rows}
    assert found == {"Alpha": (1, 200.0), "Beta": (2, 700.0)}


def test_fixing_the_order_brings_the_fast_path_back(
    shared: MetricsEngine, db: Db, tmp_path: Path
) -> None:
    assert _value(shared, "active_customers", Q1) == 2
    assert shared._shared_orders(None) is True  # the last query saw a shared order
    fixed = [_LINES[0], _LINES[1], ["S1", "2", "2024-01-15", "A", "300", "150"], _LINES[3]]
    ok(db, "order_line", write_csv(tmp_path / "fixed.csv", fixed))
    engine = MetricsEngine(db.engine, today=dt.date(2024, 7, 15))
    assert _value(engine, "active_customers", Q1) == 1  # A alone now
    assert _value(engine, "new_customers", Q1) == 1
    assert engine._shared_orders(None) is False
    assert rows(db, "SELECT first_order_on FROM customer WHERE external_id = 'B'") == [
        (dt.date(2024, 4, 20),)
    ]


def test_visit_conversion_counts_the_second_customer_of_a_shared_order(
    db: Db, tmp_path: Path
) -> None:
    """A visited on 2024-01-10 and B on 2024-01-05; both bought in S1 on 2024-01-15 (B's own
    next order, S2 on 2024-04-20, is 106 days after its visit: outside the 90-day window).
    Both visits converted: 2 of 2 — in the full scope (kept conversions) and in the rep's
    scope (computed from the scope's own orders). Before the fix B's visit did not convert
    (the header of S1 names A only): 1 of 2."""
    write_csv(tmp_path / "r.csv", [["external_id", "name"], ["R1", "Rita"]])
    ok(db, "rep", tmp_path / "r.csv")
    write_csv(
        tmp_path / "c.csv",
        [["external_id", "name", "region"], ["A", "Alpha", "East"], ["B", "Beta", "West"]],
    )
    ok(db, "customer", tmp_path / "c.csv")
    lines = [[*row, "rep" if i == 0 else "R1"] for i, row in enumerate(_LINES)]
    ok(db, "order_line", write_csv(tmp_path / "l.csv", lines))
    visits = [
        ["external_id", "kind", "customer", "rep", "at"],
        ["V1", "visit", "A", "R1", "2024-01-10 10:00"],
        ["V2", "visit", "B", "R1", "2024-01-05 15:00"],
    ]
    ok(db, "activity", write_csv(tmp_path / "a.csv", visits))
    engine = MetricsEngine(db.engine, today=dt.date(2024, 7, 15))
    assert rows(db, "SELECT customer_id IS NOT NULL, converts_on FROM visit_conversion") == [
        (True, dt.date(2024, 1, 15)),
        (True, dt.date(2024, 1, 15)),
    ]
    assert _value(engine, "visit_conversion", Q1) == 1.0
    [(rep_id,)] = rows(db, "SELECT id FROM rep")
    scoped = engine.query(
        MetricQuery("visit_conversion", start=Q1[0], end=Q1[1]), Scope.single_rep(rep_id)
    )
    assert scoped.rows == [{"value": 1.0}]
