"""Announcements: the year's goals, the company values and news, in Chinese and English.

The goals quote this year's company targets and the news quotes real rows of the demo data
(the biggest recent deal, last quarter's top rep), so the board's culture panel agrees with
its numbers. Some announcements have expired, to show validity dates at work.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesops.demo.catalog import PRODUCTS, SPRING_FESTIVAL
from salesops.demo.config import DemoConfig
from salesops.demo.customers import Customers
from salesops.demo.deals import Deals
from salesops.demo.frame import NULL, Cat, Frame
from salesops.demo.orders import Orders
from salesops.demo.org import Org
from salesops.demo.timeline import EPOCH, Timeline

KINDS = ("goal", "value", "news")


def build_announcements(
    config: DemoConfig,
    timeline: Timeline,
    org: Org,
    cust: Customers,
    deals: Deals,
    orders: Orders,
    goals: dict[str, int],
) -> Frame:
    """About ten announcements valid around today."""
    today = config.today
    year = today.year
    rep_names = org.frames[2].columns["name"]
    assert isinstance(rep_names, list)
    rows: list[tuple[str, str, str, dt.date | None, dt.date | None]] = []
    revenue, bookings = goals.get("revenue", 0), goals.get("bookings", 0)
    rows.append(
        (
            "goal",
            f"{year} 年公司目标：销售额 {revenue / 1e8:.2f} 亿元，签约 {bookings / 1e8:.2f} 亿元。",
            f"{year} company goals: revenue ¥{revenue / 1e6:,.1f} M, "
            f"bookings ¥{bookings / 1e6:,.1f} M.",
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
        )
    )
    rows.append(
        (
            "goal",
            f"{year} 年新客户目标：{goals.get('new_customers', 0)} 家；回款率不低于 95%。",
            f"{year}: win {goals.get('new_customers', 0)} new customers; collect at least 95 %.",
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
        )
    )
    rows.append(
        (
            "value",
            "客户第一 · 团队协作 · 拥抱变化 · 诚信 · 激情 · 敬业",
            "Customer first · Teamwork · Embrace change · Integrity · Passion · Commitment",
            config.start,
            None,
        )
    )
    rows.append(
        (
            "value",
            "用数据说话，让每一台设备都在线。",
            "Let the data speak; keep every device online.",
            config.start,
            None,
        )
    )
    recent = np.flatnonzero(deals.won & (deals.close >= timeline.days - 91))
    if len(recent):
        best = recent[np.argmax(deals.amount[recent])]
        rep = rep_names[deals.owner[best]]
        region = org.regions[deals.region[best]].name
        customer = cust.names[deals.customer[best]]
        wan = deals.amount[best] / 1e6  # cents → 万元
        day = timeline.start + dt.timedelta(days=int(deals.close[best]))
        rows.append(
            (
                "news",
                f"喜报：{region}大区{rep}签约{customer}，合同金额 {wan:,.1f} 万元！",
                f"Big win: {rep} ({region}) signed {customer} for ¥{wan * 10:,.0f}k!",
                day,
                day + dt.timedelta(days=30),
            )
        )
    quarter_start = dt.date(year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_q = (quarter_start - dt.timedelta(days=1)).replace(day=1)
    last_q = last_q.replace(month=3 * ((last_q.month - 1) // 3) + 1)
    lo, hi = timeline.day_of(last_q), timeline.day_of(quarter_start) - 1
    inside = (orders.day >= lo) & (orders.day <= hi)
    if inside.any():
        per_rep = np.bincount(orders.rep[inside], orders.amount[inside], minlength=org.reps)
        top = int(np.argmax(per_rep))
        label = f"{last_q.year} 年第 {(last_q.month - 1) // 3 + 1} 季度"
        label_en = f"Q{(last_q.month - 1) // 3 + 1} {last_q.year}"
        rows.append(
            (
                "news",
                f"{label}销售冠军：{org.regions[org.rep_region[top]].name}大区 {rep_names[top]}，"
                f"销售额 {per_rep[top] / 1e6:,.1f} 万元。",
                f"Top seller of {label_en}: {rep_names[top]} "
                f"({org.regions[org.rep_region[top]].name}), "
                f"¥{per_rep[top] / 1e5:,.0f}k revenue.",
                quarter_start,
                quarter_start + dt.timedelta(days=45),
            )
        )
    product = PRODUCTS[8].name
    rows.append(
        (
            "news",
            f"新品发布：{product} 2.0 上线，支持振动与温度联合诊断。",
            f"Launch: {product} 2.0 with joint vibration and temperature diagnosis.",
            today - dt.timedelta(days=20),
            today + dt.timedelta(days=40),
        )
    )
    if len(org.regions) > 1:
        name = org.regions[1].name
        rows.append(
            (
                "news",
                f"{name}大区启动业绩回升专项计划，重点回访流失客户。",
                f"{name} starts a recovery plan: every lost key account gets a visit.",
                today - dt.timedelta(days=45),
                today + dt.timedelta(days=45),
            )
        )
    festival = SPRING_FESTIVAL.get(year)
    if festival is not None:
        rows.append(
            (
                "news",
                f"春节放假通知：{festival:%m月%d日}前后放假，请提前安排发货与回款。",
                f"Spring Festival holidays around {festival:%d %b}: "
                "plan deliveries and collections early.",
                festival - dt.timedelta(days=30),
                festival + dt.timedelta(days=7),
            )
        )
    rows.append(
        (
            "news",
            "年终冲刺：12 月回款专项行动，逾期应收逐单跟进。",
            "Year-end push: December collection drive, every overdue invoice followed up.",
            dt.date(year - 1, 12, 1),
            dt.date(year - 1, 12, 31),
        )
    )
    kinds = np.array([KINDS.index(r[0]) for r in rows])
    return Frame(
        "announcement",
        len(rows),
        {
            "external_id": [f"ANN-{i + 1:03d}" for i in range(len(rows))],
            "kind": Cat(kinds, KINDS),
            "text_zh": [r[1] for r in rows],
            "text_en": [r[2] for r in rows],
            "valid_from": np.array([_day(r[3]) for r in rows], dtype=np.int64),
            "valid_to": np.array([_day(r[4]) for r in rows], dtype=np.int64),
        },
    )


def _day(date: dt.date | None) -> int:
    return NULL if date is None else (date - EPOCH).days
