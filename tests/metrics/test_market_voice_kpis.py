"""The KPIs of the market & channels and customer voice pages (issue #25) on a small
hand-made company, both databases. Period: 2024-Q1 (91 days); expected values by hand.

Customers (first normal order): C1 制造/展会 2024-01-10, C2 零售/官网 2024-02-05, C3 制造/官网
2023-11-01 (orders again in Q1), C4 零售/展会 2023-12-01 (not in Q1).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salesops.db.schema import Feedback, Lead, MarketingSpend, MarketSize
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.analysis.data import build
from tests.conftest import Db

D = dt.date.fromisoformat
START, END = dt.date(2024, 1, 1), dt.date(2024, 3, 31)


@pytest.fixture
def engine(db: Db) -> MetricsEngine:
    with build(db.engine) as b:
        b.rep("R1", region="华东")
        for name, industry, source in (
            ("C1", "制造", "展会"),
            ("C2", "零售", "官网"),
            ("C3", "制造", "官网"),
            ("C4", "零售", "展会"),
        ):
            b.customer(name, owner="R1", industry=industry, source_channel=source)
        b.order("O0", "2023-11-01", "C3", 300, rep="R1", region="华东", cost=100)
        b.order("O9", "2023-12-01", "C4", 100, rep="R1", region="华北", cost=50)
        b.order("O1", "2024-01-10", "C1", 1000, rep="R1", region="华东", cost=600)
        b.order("O2", "2024-02-05", "C2", 500, rep="R1", region="华北", cost=200)
        b.order("O3", "2024-03-01", "C3", 800, rep="R1", region="华东", cost=500)
        east, north = b.region("华东"), b.region("华北")
        b.s.add_all(
            [
                MarketSize(external_id="M1", region_id=east, industry="制造", accounts=10,
                           period_start=D("2024-01-01"), amount=Decimal(100000)),
                MarketSize(external_id="M2", region_id=east, industry="零售", accounts=5,
                           period_start=D("2024-01-01"), amount=Decimal(0)),
                MarketSize(external_id="M3", region_id=north, industry="零售", accounts=4,
                           period_start=D("2024-01-01"), amount=Decimal(0)),
                MarketingSpend(external_id="S1", channel="展会", period_start=D("2024-01-01"),
                               amount=Decimal(600)),
                MarketingSpend(external_id="S2", channel="官网", period_start=D("2024-02-01"),
                               amount=Decimal(300)),
            ]
        )  # fmt: skip
        c1 = b.ids["customer:C1"]
        b.s.add_all(
            [
                Lead(external_id="L1", source_channel="展会", created_on=D("2024-01-05")),
                Lead(external_id="L2", source_channel="官网", created_on=D("2024-03-31")),
                Lead(external_id="L3", source_channel="官网", created_on=D("2023-12-31")),
            ]
        )

        def fb(key: str, received: str, nps: int, csat: int | None, **kw: Any) -> Feedback:
            dates = {k: D(v) for k, v in kw.items() if k.endswith("_on") and v}
            other = {k: v for k, v in kw.items() if not k.endswith("_on")}
            return Feedback(external_id=key, customer_id=c1, received_on=D(received), nps=nps,
                            csat=csat, **dates, **other)  # fmt: skip

        b.s.add_all(
            [
                # high: SLA 2 days; resolved in 2 -> within; told the customer
                fb("F1", "2024-01-02", 10, 5, priority="high", channel="问卷",
                   first_response_on="2024-01-03", resolved_on="2024-01-04", status="informed"),
                # low: SLA 10 days; resolved in 20 -> late
                fb("F2", "2024-01-10", 3, 2, priority="low", channel="客服热线",
                   first_response_on="2024-01-15", resolved_on="2024-01-30", status="resolved"),
                # medium (5 days) but due on 02-20 was set: 14 days <= 19 -> within
                fb("F3", "2024-02-01", 8, 4, priority="medium", channel="问卷", due_on="2024-02-20",
                   first_response_on="2024-02-01", resolved_on="2024-02-15", status="informed"),
                # no priority (default 7 days), no response yet
                fb("F4", "2024-03-01", 9, None, channel="客服热线", status="new"),
                # received in December, resolved in Q1 after 16 days (urgent: 1 day) -> late
                fb("F5", "2023-12-20", 7, 3, priority="urgent", first_response_on="2023-12-21",
                   resolved_on="2024-01-05", status="informed"),
            ]
        )  # fmt: skip
    return MetricsEngine(db.engine, today=dt.date(2024, 6, 1))


def _q(engine: MetricsEngine, metric: str, *by: str) -> list[dict[str, Any]]:
    return engine.query(MetricQuery(metric, by=tuple(by), start=START, end=END)).rows


CASES: list[tuple[str, Any]] = [
    # active customers C1, C2, C3 / target accounts 10 + 5 + 4
    ("penetration", 0.157895),
    # spend 600 + 300 / new customers C1, C2
    ("cac", 450.0),
    # new customers' gross profit: C1 1000-600 + C2 500-200 = 700 (C3 is not new) / 900
    ("roi", 0.777778),
    # CLV: 2300/3 x 365/91 = 3075.0916 a customer-year; margin 1000/2300 = 0.4347826;
    # retention 1/2 (C3 of C3, C4) -> annual churn 1 - 0.5^(365/91) = 0.9379743, lifetime
    # 1.0661273; CLV 3075.0916 x 0.4347826 x 1.0661273 = 1425.4084; / CAC 450
    ("clv_cac", 3.1676),  # a multiple keeps four places
    # F1 1 day, F2 5 days, F3 0 days (F4 has had no response; F5 was received in December)
    ("feedback_first_response_days", 2.0),
    # resolved in Q1: F1, F2, F3, F5; within their due dates: F1, F3
    ("feedback_sla_rate", 0.5),
    # of those four, the customer was told: F1, F3, F5
    ("feedback_informed_rate", 0.75),
    # received in Q1: F1 10, F2 3, F3 8, F4 9: 100 x (2 - 1) / 4
    ("nps", 25.0),
    # (5 + 2 + 4) / 3
    ("csat", 3.6667),  # scores keep four places
    # revenue 2300 / market size 100000
    ("market_share", 0.023),
    # M1 100000 + M2 0 + M3 0
    ("market_size", 100000.0),
    # L1, L2 created in Q1 (L3 in December)
    ("leads", 2),
    # F1-F4 received in Q1, all with a score (F5 was received in December)
    ("nps_responses", 4),
]


@pytest.mark.parametrize(("metric", "expected"), CASES, ids=[c[0] for c in CASES])
def test_total(engine: MetricsEngine, metric: str, expected: Any) -> None:
    assert _q(engine, metric) == [{"value": expected}]


def test_penetration_by_region_and_industry(engine: MetricsEngine) -> None:
    # 华东: C1, C3 of 10 + 5; 华北: C2 of 4
    assert _q(engine, "penetration", "region") == [
        {"region": "华东", "value": 0.133333},
        {"region": "华北", "value": 0.25},
    ] or _q(engine, "penetration", "region") == [
        {"region": "华北", "value": 0.25},
        {"region": "华东", "value": 0.133333},
    ]
    by_industry = {r["industry"]: r["value"] for r in _q(engine, "penetration", "industry")}
    # 制造: C1, C3 of 10; 零售: C2 of 5 + 4
    assert by_industry == {"制造": 0.2, "零售": 0.111111}


def test_roi_and_cac_by_source_channel(engine: MetricsEngine) -> None:
    roi = {r["source_channel"]: r["value"] for r in _q(engine, "roi", "source_channel")}
    # 展会: C1's 400 / 600; 官网: C2's 300 / 300 (C3 came through 官网 but is not new)
    assert roi == {"展会": 0.666667, "官网": 1.0}
    cac = {r["source_channel"]: r["value"] for r in _q(engine, "cac", "source_channel")}
    assert cac == {"展会": 600.0, "官网": 300.0}


def test_nps_by_feedback_channel(engine: MetricsEngine) -> None:
    nps = {r["channel"]: r["value"] for r in _q(engine, "nps", "channel")}
    # 问卷: F1 promoter, F3 passive -> 50; 客服热线: F2 detractor, F4 promoter -> 0
    assert nps == {"问卷": 50.0, "客服热线": 0.0}


def test_the_sla_follows_the_settings(
    db: Db, engine: MetricsEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salesops.config import get_settings

    # a company that gives low-priority items 30 days: F2 (20 days) is now within
    monkeypatch.setenv("SALESOPS_FEEDBACK_SLA_DAYS", '{"low": 30, "high": 2, "urgent": 1}')
    get_settings.cache_clear()
    fresh = MetricsEngine(db.engine, today=dt.date(2024, 6, 1))
    assert _q(fresh, "feedback_sla_rate") == [{"value": 0.75}]
