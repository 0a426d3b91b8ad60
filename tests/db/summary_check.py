"""The monthly order-line summary as it is, and as it should be (summed here in Python, so the
check does not share the SQL it checks)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

Row = tuple[Any, ...]


def summary_rows(engine: Engine) -> list[Row]:
    """``order_line_month`` without ids, sorted."""
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT order_date, status, region_id, rep_id, product_id, channel, cost_known, "
                "amount, cost, lines FROM order_line_month"
            )
        )
        return sorted((tuple(r) for r in found), key=repr)


def expected_rows(engine: Engine) -> list[Row]:
    """What ``order_line_month`` must hold for the order lines in the database."""
    sums: dict[Row, list[Any]] = {}
    with engine.connect() as conn:
        lines = conn.execute(
            text(
                "SELECT order_date, status, region_id, rep_id, product_id, channel, amount, cost "
                "FROM order_line"
            )
        )
        for day, status, region, rep, product, channel, amount, cost in lines:
            month = dt.date(day.year, day.month, 1)
            key = (month, status, region, rep, product, channel, cost is not None)
            acc = sums.setdefault(key, [Decimal(0), None, 0])
            acc[0] += amount
            if cost is not None:
                acc[1] = (acc[1] or Decimal(0)) + cost
            acc[2] += 1
    return sorted(((*k, *v) for k, v in sums.items()), key=repr)


def assert_summary_exact(engine: Engine) -> None:
    """``order_line_month`` is exactly the order lines summed per month and key."""
    assert summary_rows(engine) == expected_rows(engine)


def header_month_rows(engine: Engine) -> list[Row]:
    """``order_header_month`` without ids, sorted."""
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT order_date, customer_id, rep_id, region_id, channel, orders, "
                "normal_lines FROM order_header_month"
            )
        )
        return sorted((tuple(r) for r in found), key=repr)


def expected_header_month_rows(engine: Engine) -> list[Row]:
    """What ``order_header_month`` must hold for the order headers in the database: orders
    with a normal line, counted per month, customer, rep, region and channel."""
    counts: dict[Row, list[int]] = {}
    with engine.connect() as conn:
        headers = conn.execute(
            text(
                "SELECT order_date, customer_id, rep_id, region_id, channel, normal_lines "
                "FROM order_header"
            )
        )
        for day, customer, rep, region, channel, normal in headers:
            if not normal:
                continue
            key = (dt.date(day.year, day.month, 1), customer, rep, region, channel)
            acc = counts.setdefault(key, [0, 0])
            acc[0] += 1
            acc[1] += normal
    return sorted(((*k, *v) for k, v in counts.items()), key=repr)


def assert_header_months_exact(engine: Engine) -> None:
    """``order_header_month`` is exactly the normal orders counted per month and key."""
    assert header_month_rows(engine) == expected_header_month_rows(engine)
