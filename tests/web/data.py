"""A small hand-made company for the board tests: two regions, three reps, four customers.

The board is viewed as of 2026-06-15 (``ASOF``). Numbers the tests check by hand:

* revenue 2026-01-01..2026-06-15, normal lines: 120,000 + 30,000 + 80,000 + 200,000 + 50,000 +
  60,000 = 540,000 (the cancelled O-2606 does not count); 华东 290,000; 华南 250,000;
  the same dates of 2025: 100,000 + 50,000 = 150,000;
* March 2026 revenue: 200,000 (O-2603);
* bookings 2026 YTD: 150,000 + 80,000 + 200,000 = 430,000; win rate 3 / 5 = 60 %;
* NPS 2026: scores 10, 9, 7, 3 -> 100 × (2/4 − 1/4) = 25.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine

from salesops.db.derived import refresh_after_write
from salesops.db.engine import session_scope
from salesops.db.schema import (
    Activity,
    Announcement,
    Customer,
    Feedback,
    Opportunity,
    OpportunityChange,
    OrderLine,
    OrgUnit,
    Payment,
    PipelineStage,
    Product,
    Region,
    Rep,
    Target,
)

ASOF = "2026-06-15"
D = dt.date.fromisoformat

REVENUE_YTD = 540_000
REVENUE_YTD_EAST = 290_000
REVENUE_LAST_YEAR_SAME_DATES = 150_000
REVENUE_MARCH = 200_000
BOOKINGS_YTD = 430_000


def seed(engine: Engine) -> None:
    """Write the company through the ORM and refresh the derived tables."""
    with session_scope(engine) as s:
        east, south = Region(name="华东"), Region(name="华南")
        s.add_all([east, south])
        s.flush()
        company = OrgUnit(external_id="HQ", name="总部", kind="company")
        s.add(company)
        s.flush()
        team_e = OrgUnit(
            external_id="T-E", name="华东一组", kind="team", parent_id=company.id, region_id=east.id
        )
        team_s = OrgUnit(
            external_id="T-S",
            name="华南一组",
            kind="team",
            parent_id=company.id,
            region_id=south.id,
        )
        s.add_all([team_e, team_s])
        s.flush()
        reps = {
            name: Rep(
                external_id=name,
                name=name,
                org_unit_id=team.id,
                region_id=region.id,
                hired_on=D("2024-01-01"),
            )
            for name, team, region in (
                ("张伟", team_e, east),
                ("李娜", team_e, east),
                ("王芳", team_s, south),
            )
        }
        s.add_all(reps.values())
        s.flush()
        products = {
            "CRM 标准版": Product(external_id="P1", name="CRM 标准版", product_line="软件"),
            "实施服务": Product(external_id="P2", name="实施服务", product_line="服务"),
        }
        s.add_all(products.values())
        s.flush()
        customers = {}
        for ext, name, industry, segment, region, owner in (
            ("C1", "上海甲科技", "制造", "大客户", east, "张伟"),
            ("C2", "杭州乙贸易", "零售", "中小企业", east, "李娜"),
            ("C3", "深圳丙电子", "制造", "大客户", south, "王芳"),
            ("C4", "广州丁物流", "物流", "中小企业", south, "王芳"),
        ):
            customers[name] = Customer(
                external_id=ext,
                name=name,
                industry=industry,
                segment=segment,
                region_id=region.id,
                owner_id=reps[owner].id,
                created_on=D("2024-06-01"),
                credit_limit=Decimal("100000"),
                source_channel="官网",
            )
        s.add_all(customers.values())
        s.flush()

        def line(
            no: str,
            ln: int,
            day: str,
            cust: str,
            rep: str,
            prod: str,
            channel: str,
            amount: int,
            cost: int,
            status: str = "normal",
        ) -> OrderLine:
            return OrderLine(
                order_no=no,
                line_no=ln,
                order_date=D(day),
                customer_id=customers[cust].id,
                rep_id=reps[rep].id,
                region_id=reps[rep].region_id,
                product_id=products[prod].id,
                channel=channel,
                quantity=Decimal(1),
                amount=Decimal(amount),
                cost=Decimal(cost),
                status=status,
            )

        s.add_all(
            [
                line(
                    "O-2501",
                    1,
                    "2025-02-10",
                    "上海甲科技",
                    "张伟",
                    "CRM 标准版",
                    "直销",
                    100_000,
                    40_000,
                ),
                line(
                    "O-2502",
                    1,
                    "2025-05-20",
                    "深圳丙电子",
                    "王芳",
                    "CRM 标准版",
                    "渠道",
                    50_000,
                    20_000,
                ),
                line(
                    "O-2503",
                    1,
                    "2025-09-05",
                    "杭州乙贸易",
                    "李娜",
                    "实施服务",
                    "直销",
                    30_000,
                    15_000,
                ),
                line(
                    "O-2601",
                    1,
                    "2026-01-15",
                    "上海甲科技",
                    "张伟",
                    "CRM 标准版",
                    "直销",
                    120_000,
                    48_000,
                ),
                line(
                    "O-2601",
                    2,
                    "2026-01-15",
                    "上海甲科技",
                    "张伟",
                    "实施服务",
                    "直销",
                    30_000,
                    18_000,
                ),
                line(
                    "O-2602",
                    1,
                    "2026-02-20",
                    "杭州乙贸易",
                    "李娜",
                    "CRM 标准版",
                    "渠道",
                    80_000,
                    32_000,
                ),
                line(
                    "O-2603",
                    1,
                    "2026-03-10",
                    "深圳丙电子",
                    "王芳",
                    "CRM 标准版",
                    "直销",
                    200_000,
                    90_000,
                ),
                line(
                    "O-2604",
                    1,
                    "2026-04-05",
                    "广州丁物流",
                    "王芳",
                    "实施服务",
                    "渠道",
                    50_000,
                    30_000,
                ),
                line(
                    "O-2605",
                    1,
                    "2026-05-18",
                    "上海甲科技",
                    "张伟",
                    "CRM 标准版",
                    "直销",
                    60_000,
                    24_000,
                ),
                line(
                    "O-2606",
                    1,
                    "2026-06-01",
                    "深圳丙电子",
                    "王芳",
                    "实施服务",
                    "渠道",
                    40_000,
                    20_000,
                    "cancelled",
                ),
            ]
        )

        for pos, (name, prob, kind) in enumerate(
            (
                ("初步接洽", "0.1", "open"),
                ("需求确认", "0.3", "open"),
                ("方案报价", "0.6", "open"),
                ("商务谈判", "0.8", "open"),
                ("赢单", "1", "won"),
                ("输单", "0", "lost"),
            ),
            start=1,
        ):
            s.add(PipelineStage(name=name, position=pos, probability=Decimal(prob), kind=kind))

        opps = {}
        for (
            ext,
            cust,
            rep,
            prod,
            stage,
            status,
            amount,
            created,
            expected,
            closed,
            src,
            comp,
            why,
        ) in (
            (
                "OP1",
                "上海甲科技",
                "张伟",
                "CRM 标准版",
                "赢单",
                "won",
                150_000,
                "2025-12-01",
                None,
                "2026-01-10",
                "官网",
                None,
                None,
            ),
            (
                "OP2",
                "杭州乙贸易",
                "李娜",
                "CRM 标准版",
                "赢单",
                "won",
                80_000,
                "2026-01-05",
                None,
                "2026-02-15",
                "展会",
                None,
                None,
            ),
            (
                "OP3",
                "深圳丙电子",
                "王芳",
                "CRM 标准版",
                "赢单",
                "won",
                200_000,
                "2026-01-20",
                None,
                "2026-03-05",
                "老客户推荐",
                "竞品A",
                None,
            ),
            (
                "OP4",
                "广州丁物流",
                "王芳",
                "实施服务",
                "输单",
                "lost",
                60_000,
                "2026-02-01",
                None,
                "2026-03-20",
                "展会",
                "竞品A",
                "价格",
            ),
            (
                "OP5",
                "杭州乙贸易",
                "李娜",
                "实施服务",
                "输单",
                "lost",
                40_000,
                "2026-03-01",
                None,
                "2026-04-10",
                "官网",
                "竞品B",
                "功能不满足",
            ),
            (
                "OP6",
                "上海甲科技",
                "张伟",
                "实施服务",
                "方案报价",
                "open",
                90_000,
                "2026-04-01",
                "2026-07-15",
                None,
                "官网",
                None,
                None,
            ),
            (
                "OP7",
                "深圳丙电子",
                "王芳",
                "CRM 标准版",
                "需求确认",
                "open",
                120_000,
                "2026-05-01",
                "2026-08-30",
                None,
                "展会",
                None,
                None,
            ),
            (
                "OP8",
                "广州丁物流",
                "王芳",
                "CRM 标准版",
                "商务谈判",
                "open",
                70_000,
                "2026-02-10",
                "2026-06-30",
                None,
                "官网",
                "竞品A",
                None,
            ),
        ):
            opps[ext] = Opportunity(
                external_id=ext,
                name=f"{cust} {prod}",
                customer_id=customers[cust].id,
                owner_id=reps[rep].id,
                region_id=reps[rep].region_id,
                product_id=products[prod].id,
                stage=stage,
                status=status,
                amount=Decimal(amount),
                created_on=D(created),
                expected_close_on=D(expected) if expected else None,
                closed_on=D(closed) if closed else None,
                source_channel=src,
                competitor=comp,
                lost_reason=why,
            )
        s.add_all(opps.values())
        s.flush()
        path = ["初步接洽", "需求确认", "方案报价", "商务谈判"]
        for opp in opps.values():
            final = opp.stage or path[0]
            steps = [*path[: path.index(final) + 1]] if final in path else [*path[:3], final]
            start = opp.created_on or D("2026-01-01")
            for i, (old, new) in enumerate(zip([None, *steps], steps, strict=False)):
                s.add(
                    OpportunityChange(
                        opportunity_id=opp.id,
                        field="stage",
                        old_value=old,
                        new_value=new,
                        changed_at=dt.datetime.combine(
                            start + dt.timedelta(days=7 * i), dt.time(9)
                        ),
                        source="history",
                    )
                )

        for ext, cust, rep, due, due_amt, paid, paid_amt in (
            ("PM1", "上海甲科技", "张伟", "2026-02-15", 150_000, "2026-02-10", 150_000),
            ("PM2", "杭州乙贸易", "李娜", "2026-03-20", 80_000, "2026-04-15", 80_000),
            ("PM3", "深圳丙电子", "王芳", "2026-04-10", 200_000, "2026-04-30", 100_000),
            ("PM4", "广州丁物流", "王芳", "2026-05-05", 50_000, None, None),
        ):
            s.add(
                Payment(
                    external_id=ext,
                    customer_id=customers[cust].id,
                    rep_id=reps[rep].id,
                    region_id=reps[rep].region_id,
                    due_date=D(due),
                    due_amount=Decimal(due_amt),
                    paid_date=D(paid) if paid else None,
                    paid_amount=Decimal(paid_amt) if paid_amt else None,
                )
            )
        for n, (rep, cust, kind, day) in enumerate(
            (
                ("张伟", "上海甲科技", "visit", "2026-01-08"),
                ("张伟", "上海甲科技", "call", "2026-03-02"),
                ("张伟", "上海甲科技", "meeting", "2026-05-10"),
                ("李娜", "杭州乙贸易", "visit", "2026-02-01"),
                ("李娜", "杭州乙贸易", "email", "2026-04-01"),
                ("王芳", "深圳丙电子", "visit", "2026-02-25"),
                ("王芳", "广州丁物流", "call", "2026-03-15"),
                ("王芳", "深圳丙电子", "visit", "2026-05-20"),
            ),
            start=1,
        ):
            s.add(
                Activity(
                    external_id=f"A{n}",
                    kind=kind,
                    customer_id=customers[cust].id,
                    rep_id=reps[rep].id,
                    region_id=reps[rep].region_id,
                    occurred_at=dt.datetime.combine(D(day), dt.time(2)),
                )
            )
        for i, (cust, day, score, csat) in enumerate(
            (
                ("上海甲科技", "2026-02-01", 10, 5),
                ("杭州乙贸易", "2026-03-01", 9, 4),
                ("深圳丙电子", "2026-04-01", 7, 4),
                ("广州丁物流", "2026-05-01", 3, 2),
            ),
            start=1,
        ):
            c = customers[cust]
            rep_region = {r.id: r.region_id for r in reps.values()}[c.owner_id or 0]
            s.add(
                Feedback(
                    external_id=f"F{i}",
                    customer_id=c.id,
                    rep_id=c.owner_id,
                    region_id=rep_region,
                    received_on=D(day),
                    nps=score,
                    csat=csat,
                    category="service",
                    status="resolved",
                )
            )
        s.add(
            Target(
                external_id="T-2026-revenue",
                metric="revenue",
                period_grain="year",
                period_start=D("2026-01-01"),
                scope_kind="company",
                value=Decimal(1_200_000),
            )
        )
        for month in range(1, 13):
            s.add(
                Target(
                    external_id=f"T-2026-{month:02d}-revenue",
                    metric="revenue",
                    period_grain="month",
                    period_start=dt.date(2026, month, 1),
                    scope_kind="company",
                    value=Decimal(100_000),
                )
            )
        for rep, value in (("张伟", 400_000), ("李娜", 300_000), ("王芳", 500_000)):
            s.add(
                Target(
                    external_id=f"T-2026-{rep}",
                    metric="revenue",
                    period_grain="year",
                    period_start=D("2026-01-01"),
                    scope_kind="rep",
                    rep_id=reps[rep].id,
                    value=Decimal(value),
                )
            )
        s.add_all(
            [
                Announcement(
                    external_id="N1",
                    kind="goal",
                    text_zh="2026 年销售额突破 120 万",
                    text_en="Pass ¥1.2M revenue in 2026",
                    valid_from=D("2026-01-01"),
                    valid_to=D("2026-12-31"),
                ),
                Announcement(
                    external_id="N2",
                    kind="value",
                    text_zh="客户第一，诚信共赢",
                    text_en="Customers first, win together with integrity",
                ),
            ]
        )
    with engine.begin() as conn:
        refresh_after_write(conn)
