"""The demo data makes an interesting board: the stories the alerts and pages should find."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesops.demo import generate_demo
from tests.conftest import Db
from tests.demo.helpers import STORY, rows

REVENUE_BY_REGION_YEAR = """
    SELECT r.name, EXTRACT(YEAR FROM l.order_date) AS y, sum(l.amount) AS revenue
    FROM order_line l JOIN region r ON r.id = l.region_id
    WHERE l.status = 'normal' GROUP BY r.name, EXTRACT(YEAR FROM l.order_date)
"""


@pytest.fixture
def story(db: Db) -> Db:
    generate_demo(db.engine, STORY)
    return db


def test_a_region_declines_while_the_company_grows(story: Db) -> None:
    revenue = {
        (name, int(y)): value for name, y, value in rows(story.engine, REVENUE_BY_REGION_YEAR)
    }
    regions = {name for name, _ in revenue}
    assert regions == {"华东", "华北", "华南"}
    falling = [r for r in regions if revenue[(r, 2025)] < revenue[(r, 2024)]]
    assert "华北" in falling
    assert revenue[("华北", 2025)] < Decimal("0.9") * revenue[("华北", 2024)]
    total = {y: sum(v for (_, yy), v in revenue.items() if yy == y) for y in (2024, 2025)}
    assert total[2025] > total[2024]


def test_q4_peaks_and_the_spring_festival_dips(story: Db) -> None:
    month = dict(
        rows(
            story.engine,
            "SELECT EXTRACT(MONTH FROM order_date) AS m, sum(amount) FROM order_line "
            "WHERE status = 'normal' AND order_date BETWEEN '2025-01-01' AND '2025-12-31' "
            "GROUP BY EXTRACT(MONTH FROM order_date)",
        )
    )
    assert month[12] == max(month.values())
    assert month[2] < Decimal("0.7") * month[12]
    assert month[1] < month[3]


def test_some_reps_lag_far_behind_their_team(story: Db) -> None:
    per_rep = rows(
        story.engine,
        """
        WITH r AS (
            SELECT rep_id, sum(amount) AS revenue FROM order_line
            WHERE status = 'normal' AND order_date BETWEEN '2025-01-01' AND '2025-12-31'
            GROUP BY rep_id
        )
        SELECT p.name, p.org_unit_id, COALESCE(r.revenue, 0) AS revenue,
               avg(COALESCE(r.revenue, 0)) OVER (PARTITION BY p.org_unit_id) AS team_avg
        FROM rep p LEFT JOIN r ON r.rep_id = p.id
        WHERE p.hired_on <= '2025-01-01' AND (p.left_on IS NULL OR p.left_on > '2025-12-31')
        """,
    )
    laggards = [r.name for r in per_rep if r.revenue < r.team_avg / 2]
    assert laggards, per_rep


def test_receivables_are_late_and_overdue(story: Db) -> None:
    late, overdue, unpaid = rows(
        story.engine,
        "SELECT count(*) FILTER (WHERE paid_date > due_date), "
        "sum(due_amount - COALESCE(paid_amount, 0)) FILTER (WHERE due_date < '2026-11-22'), "
        "count(*) FILTER (WHERE due_date < '2026-11-22' AND paid_date IS NULL) FROM payment",
    )[0]
    assert late > 100
    assert unpaid > 10
    assert overdue > 0
    # most is collected on time
    on_time = rows(
        story.engine,
        "SELECT avg(CASE WHEN paid_date <= due_date THEN 1.0 ELSE 0.0 END) FROM payment "
        "WHERE due_date < '2026-06-30'",
    )[0][0]
    assert on_time > Decimal("0.6")


def test_customers_churn_high_value_ones_too(story: Db) -> None:
    churned = rows(
        story.engine,
        """
        WITH v AS (
            SELECT customer_id, sum(amount) AS revenue FROM order_line
            WHERE status = 'normal' GROUP BY customer_id
        )
        SELECT c.id, c.last_order_on,
               v.revenue >= (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY revenue) FROM v)
               AS top
        FROM customer c JOIN v ON v.customer_id = c.id
        WHERE c.last_order_on < DATE '2025-11-22'
        """,
    )
    assert len(churned) >= 10
    assert any(r.top for r in churned)
    # prospects: customers with deals and no order
    assert (
        rows(story.engine, "SELECT count(*) FROM customer WHERE first_order_on IS NULL")[0][0] > 0
    )


def test_some_deals_are_stuck(story: Db) -> None:
    stuck = rows(
        story.engine,
        """
        SELECT o.id FROM opportunity o
        WHERE o.status = 'open' AND (
            SELECT max(changed_at) FROM opportunity_change c
            WHERE c.opportunity_id = o.id AND c.field = 'stage'
        ) < '2026-08-24'
        """,
    )
    assert len(stuck) >= 3


def test_feedback_covers_every_score_and_the_whole_loop(story: Db) -> None:
    scores = {n for (n,) in rows(story.engine, "SELECT DISTINCT nps FROM feedback")}
    assert scores == set(range(11))
    assert {n for (n,) in rows(story.engine, "SELECT DISTINCT csat FROM feedback")} == {
        1,
        2,
        3,
        4,
        5,
    }
    statuses = {s for (s,) in rows(story.engine, "SELECT DISTINCT status FROM feedback")}
    assert statuses == {"new", "assigned", "resolved", "informed"}
    categories = {s for (s,) in rows(story.engine, "SELECT DISTINCT category FROM feedback")}
    assert categories == {"functional", "emotional", "service", "other"}
    assert rows(
        story.engine,
        "SELECT count(*) FROM feedback WHERE (resolved_on IS NOT NULL) <> "
        "(status IN ('resolved', 'informed')) OR resolved_on < received_on",
    ) == [(0,)]
    # the loop's dates (issue #25): a first response on every item past new, not after its
    # resolution; the customer told on or after it, only when informed
    assert rows(
        story.engine,
        "SELECT count(*) FROM feedback WHERE (first_response_on IS NOT NULL) <> (status <> 'new')"
        " OR first_response_on < received_on OR first_response_on > resolved_on"
        " OR (informed_on IS NOT NULL) <> (status = 'informed') OR informed_on < resolved_on",
    ) == [(0,)]


def test_pipeline_stages_and_activity_kinds(story: Db) -> None:
    assert rows(
        story.engine,
        "SELECT name, position, probability, kind FROM pipeline_stage "
        "WHERE pipeline = 'default' ORDER BY position",
    ) == [
        ("线索确认", 1, Decimal("0.1000"), "open"),
        ("需求分析", 2, Decimal("0.2000"), "open"),
        ("方案报价", 3, Decimal("0.4000"), "open"),
        ("商务谈判", 4, Decimal("0.6000"), "open"),
        ("合同审批", 5, Decimal("0.8000"), "open"),
        ("赢单", 6, Decimal("1.0000"), "won"),
        ("输单", 7, Decimal("0.0000"), "lost"),
    ]
    kinds = {k for (k,) in rows(story.engine, "SELECT DISTINCT kind FROM activity")}
    assert kinds == {"visit", "call", "email", "meeting", "web_visit", "event"}
    channels = {c for (c,) in rows(story.engine, "SELECT DISTINCT channel FROM order_line")}
    assert channels == {"直销", "渠道", "线上"}
    statuses = {s for (s,) in rows(story.engine, "SELECT DISTINCT status FROM order_line")}
    assert statuses == {"normal", "cancelled", "returned"}
    lost = {s for (s,) in rows(story.engine, "SELECT DISTINCT lost_reason FROM opportunity")}
    assert lost == {None, "价格", "功能不满足", "选择竞品", "预算取消", "无决策"}
