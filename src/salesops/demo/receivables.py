"""Payments (回款计划 / 回款): the instalments of every order and what was paid against them.

Small and online orders are due in one payment (online: at once; others after 30 days).
Larger orders follow the usual project terms: 30 % a week after the order, 60 % after two
months, 10 % retention after a year. Good payers (most customers) pay 95 % of their invoices
on or before the due day and the rest within days; slow payers pay weeks late, bad payers
months late or never (and short-pay some invoices), and customers that stopped buying often
leave their last invoices unpaid — so the board has late payments and overdue receivables, and
most paying customers earn credit grade A or B.
"""

from __future__ import annotations

import numpy as np

from salesops.demo.config import DemoConfig
from salesops.demo.customers import Customers
from salesops.demo.frame import NULL, Code, Frame, Ref
from salesops.demo.orders import Orders
from salesops.demo.org import stream
from salesops.demo.timeline import Timeline

#: (share, days after the order) of project terms; the last share is what remains
PROJECT_TERMS = ((0.3, 7), (0.6, 60), (0.1, 365))
PROJECT_THRESHOLD = 50_000 * 100  # cents
ONLINE = 2


def build_payments(
    config: DemoConfig, timeline: Timeline, cust: Customers, orders: Orders
) -> Frame:
    """One row per instalment, with its paid date and amount when paid by today."""
    rng = stream(config, "payments")
    today = timeline.days - 1
    billed = np.flatnonzero(orders.amount > 0)
    total = orders.amount[billed]
    project = (total >= PROJECT_THRESHOLD) & (orders.channel[billed] != ONLINE)
    parts = np.where(project, len(PROJECT_TERMS), 1)
    order = np.repeat(billed, parts)
    k = np.arange(len(order)) - np.repeat(np.cumsum(parts) - parts, parts)
    is_project = np.repeat(project, parts)
    order_total = np.repeat(total, parts)

    shares = np.array([t[0] for t in PROJECT_TERMS])
    offsets = np.array([t[1] for t in PROJECT_TERMS])
    first_two = np.round(order_total[:, None] * shares[None, :2]).astype(np.int64)
    due_amount = np.where(
        is_project,
        np.where(
            k < 2,
            first_two[np.arange(len(order)), np.minimum(k, 1)],
            order_total - first_two.sum(1),
        ),
        order_total,
    )
    single_delay = np.where(orders.channel[order] == ONLINE, 0, 30)
    due = orders.day[order] + np.where(is_project, offsets[k], single_delay)

    customer = orders.customer[order]
    payer = cust.payer[customer]
    n = len(order)
    # Good payers settle about 19 invoices in 20 on or before the due day (a few days early is
    # common: payment runs) and the rest within a week or so; slow payers pay weeks late, bad
    # payers months late or never (B2B payment studies put most invoices of good customers
    # within terms; a good payer paying 1 in 4 invoices late would not be a good payer).
    good_delay = np.where(rng.random(n) < 0.95, -rng.integers(0, 8, n), rng.integers(1, 11, n))
    delay = np.select(
        [payer == 0, payer == 1],
        [good_delay, rng.integers(10, 76, n)],
        rng.integers(45, 301, n),
    )
    never = (payer == 2) & (rng.random(n) < 0.3)
    # Invoices due after a customer stopped buying are often left unpaid.
    never |= cust.churned[customer] & (due > cust.end[customer]) & (rng.random(n) < 0.4)
    paid_day = np.maximum(due + delay, orders.day[order])
    paid = ~never & (paid_day <= today)
    # Short payments (a disputed delivery, a deduction) come from slow and bad payers; a good
    # payer's remainder would be settled or credited, not left open for years.
    short = paid & (payer > 0) & (rng.random(n) < 0.05)
    paid_amount = np.where(short, np.round(due_amount * rng.uniform(0.6, 0.95, n)), due_amount)
    return Frame(
        "payment",
        n,
        {
            "external_id": Code("PAY", max(9, len(str(n)))),
            "customer_id": Ref("customer", customer),
            "rep_id": Ref("rep", orders.rep[order]),
            "region_id": Ref("region", orders.region[order]),
            "order_no": orders.order_no(order),
            "due_date": timeline.epoch_day(due),
            "due_amount": due_amount,
            "paid_date": np.where(paid, timeline.epoch_day(paid_day), NULL),
            "paid_amount": np.where(paid, paid_amount.astype(np.int64), NULL),
        },
    )
