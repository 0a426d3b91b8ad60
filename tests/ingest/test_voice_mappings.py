"""The sample mappings of issue #25 against their sample files (docs/samples): a 问卷星 survey
with Chinese free text, a SurveyMonkey-style export, a ticket export, online reviews, a
marketing spend sheet and target accounts; each feedback item keeps its source channel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from salesops.feedback.topics import topics
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.conftest import Db
from tests.ingest.helpers import ok, rows, seed_customers, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs"
MAPPINGS = DOCS / "mappings"
SAMPLES = DOCS / "samples"
Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_a_survey_export_with_chinese_free_text(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    report = ok(db, "feedback", SAMPLES / "survey-wjx.csv", MAPPINGS / "survey-wjx-feedback.yaml")
    assert report.inserted == 4
    got = rows(
        db,
        "SELECT external_id, received_on, channel, nps, csat, category, priority, status, text"
        " FROM feedback ORDER BY external_id",
    )
    assert got[0] == (
        "2026Q4-1", dt.date(2026, 11, 3), "满意度问卷", 10, 5, "service", "medium", "new",
        "客户经理响应很快，问题当天解决。",
    )  # fmt: skip
    assert [(r[0], r[3], r[4], r[5]) for r in got[1:]] == [
        ("2026Q4-2", 3, 2, "functional"),
        ("2026Q4-3", 8, 4, "emotional"),
        ("2026Q4-4", 6, 3, "functional"),
    ]
    engine = MetricsEngine(db.engine, today=dt.date(2026, 12, 7))
    # 10 promoter; 3 and 6 detractors; 8 passive: 100 x (1 - 2) / 4
    assert engine.query(MetricQuery("nps", start=Q4[0], end=Q4[1])).rows == [{"value": -25.0}]
    by_channel = engine.query(MetricQuery("nps", by=("channel",), start=Q4[0], end=Q4[1]))
    assert by_channel.rows == [{"channel": "满意度问卷", "value": -25.0}]
    # the detractors both speak of the delivery time and the dropping devices
    texts = [{"text": r[8], "nps": r[3]} for r in got]
    found = {t.word: t for t in topics(texts)}
    assert (found["交付"].count, found["交付"].detractors) == (2, 2)
    assert (found["掉线"].count, found["掉线"].detractors) == (2, 2)


def test_surveymonkey_tickets_and_reviews_keep_their_channels(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    monkey = write_csv(
        tmp_path / "monkey.csv",
        [
            ["Respondent ID", "Start Date", "End Date", "Company",
             "How likely is it that you would recommend us to a friend or colleague?",
             "Overall, how satisfied are you with us?", "What should we do better?"],
            ["114000001", "12/01/2026 10:02:11 AM", "12/01/2026 10:05:40 AM", "Acme Ltd", "9",
             "Very satisfied", "Faster onboarding for new plants"],
        ],
    )  # fmt: skip
    tickets = write_csv(
        tmp_path / "tickets.csv",
        [
            ["工单编号", "创建时间", "客户名称", "来源", "工单类型", "优先级", "状态", "处理人",
             "解决时间", "问题描述"],
            ["TK-1", "2026-11-28 09:00", "北京乙公司", "", "服务投诉", "高", "已解决", "R1",
             "2026-11-30 18:00", "安装工程师迟到两小时"],
        ],
    )  # fmt: skip
    reviews = write_csv(
        tmp_path / "reviews.csv",
        [
            ["评价ID", "评价时间", "买家公司", "平台", "星级", "评价内容"],
            ["RV-1", "2026-11-15", "不在看板里的公司", "京东企业购", "2", "包装破损"],
        ],
    )
    ok(db, "feedback", monkey, MAPPINGS / "surveymonkey-feedback.yaml")
    ok(db, "feedback", tickets, MAPPINGS / "service-tickets.yaml")
    ok(db, "feedback", reviews, MAPPINGS / "online-reviews.yaml")
    got = rows(
        db,
        "SELECT f.external_id, f.channel, f.received_on, f.nps, f.csat, f.category, f.priority,"
        " f.status, f.resolved_on, c.external_id, r.external_id FROM feedback f"
        " LEFT JOIN customer c ON c.id = f.customer_id LEFT JOIN rep r ON r.id = f.assignee_id"
        " ORDER BY f.external_id",
    )
    assert got == [
        ("114000001", "SurveyMonkey", dt.date(2026, 12, 1), 9, 5, "other", None, "new", None,
         "C1", None),
        ("RV-1", "京东企业购", dt.date(2026, 11, 15), None, 2, "other", None, "new", None, None,
         None),
        ("TK-1", "客服热线", dt.date(2026, 11, 28), None, None, "service", "high", "resolved",
         dt.date(2026, 11, 30), "C2", "R1"),
    ]  # fmt: skip


def test_a_spend_sheet_and_target_accounts(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    ok(db, "marketing_spend", SAMPLES / "marketing-spend.csv", MAPPINGS / "marketing-spend.yaml")
    ok(
        db,
        "market_size",
        SAMPLES / "market-target-accounts.csv",
        MAPPINGS / "market-target-accounts.yaml",
    )
    assert rows(
        db,
        "SELECT m.channel, m.period_start, m.period_grain, g.name, m.amount FROM marketing_spend m"
        " LEFT JOIN region g ON g.id = m.region_id ORDER BY m.period_start, m.channel",
    ) == [
        ("官网", dt.date(2026, 1, 1), "month", "华东", Decimal("12000")),
        ("展会", dt.date(2026, 1, 1), "month", "华南", Decimal("30000")),
        ("官网", dt.date(2026, 2, 1), "month", "华东", Decimal("8000")),
        ("渠道伙伴", dt.date(2026, 3, 1), "month", "华南", Decimal("15000.5")),
    ]
    assert rows(
        db,
        "SELECT g.name, m.industry, m.accounts, m.amount, m.period_start FROM market_size m"
        " JOIN region g ON g.id = m.region_id ORDER BY g.name",
    ) == [
        ("华东", "制造", 40, Decimal("0"), dt.date(2026, 1, 1)),
        ("华南", "物流", 25, Decimal("5000000"), dt.date(2026, 1, 1)),
    ]
    engine = MetricsEngine(db.engine, today=dt.date(2026, 12, 7))
    spend = engine.query(
        MetricQuery("marketing_spend", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    )
    assert spend.rows == [{"value": 65000.5}]
