"""The monthly order-line summary and order counts: rebuilt whole, refreshed by month, filled by
the migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from salesops.db.derived import (
    _month_ranges,
    refresh_after_write,
    refresh_order_headers,
    refresh_order_line_month,
)
from salesops.db.migrate import alembic_config, current_revision, upgrade
from salesops.db.schema import OrderLine
from tests.conftest import Db
from tests.db.summary_check import (
    assert_summary_exact,
    expected_header_month_rows,
    expected_rows,
    header_month_rows,
    summary_rows,
)

D = dt.date


def _lines(db: Db) -> None:
    """Lines in three months: statuses, channels, a line without cost, NULL keys."""
    rows = [
        ("S1", 1, D(2024, 1, 2), "online", "100.10", "60.00", "normal"),
        ("S1", 2, D(2024, 1, 2), "online", "50.00", None, "normal"),
        ("S2", 1, D(2024, 1, 31), "online", "20.00", "5.00", "normal"),
        ("S3", 1, D(2024, 2, 29), None, "7.50", "1.25", "cancelled"),
        ("S4", 1, D(2024, 4, 1), "offline", "300.00", "200.00", "returned"),
    ]
    with Session(db.engine) as s:
        for no, line_no, day, channel, amount, cost, status in rows:
            s.add(
                OrderLine(
                    order_no=no,
                    line_no=line_no,
                    order_date=day,
                    channel=channel,
                    amount=Decimal(amount),
                    cost=None if cost is None else Decimal(cost),
                    status=status,
                )
            )
        s.commit()


def _sql(db: Db, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def _ids_by_month(conn: Connection) -> dict[dt.date, int]:
    found = conn.execute(
        text("SELECT order_date, max(id) FROM order_line_month GROUP BY order_date")
    )
    return {day: int(top) for day, top in found}


def test_month_ranges_join_consecutive_months() -> None:
    months = [D(2024, 3, 1), D(2024, 4, 1), D(2024, 6, 1), D(2024, 12, 1), D(2025, 1, 1)]
    assert _month_ranges([*months, D(2024, 4, 1)]) == [
        (D(2024, 3, 1), D(2024, 5, 1)),
        (D(2024, 6, 1), D(2024, 7, 1)),
        (D(2024, 12, 1), D(2025, 2, 1)),
    ]


def test_full_refresh_sums_every_month(db: Db) -> None:
    _lines(db)
    with db.engine.begin() as conn:
        refresh_after_write(conn)
    assert_summary_exact(db.engine)
    # January: one row for the costed lines, one for the line without a cost
    assert [r for r in summary_rows(db.engine) if r[0] == D(2024, 1, 1)] == [
        (D(2024, 1, 1), "normal", None, None, None, "online", False, Decimal("50.00"), None, 1),
        (D(2024, 1, 1), "normal", None, None, None, "online", True, Decimal("120.10"),
         Decimal("65.00"), 2),
    ]  # fmt: skip


def test_refresh_rewrites_only_the_months_it_is_given(db: Db) -> None:
    _lines(db)
    with db.engine.begin() as conn:
        refresh_order_line_month(conn)
    with db.engine.connect() as conn:
        ids_before = _ids_by_month(conn)
    _sql(db, "UPDATE order_line SET amount = 1 WHERE order_no IN ('S1', 'S4')")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE t_months AS SELECT DATE '2024-01-01' AS month"))
        refresh_order_line_month(conn, "t_months")
        # January is right again; April was not listed, so it still holds the old sum
        jan = conn.execute(
            text("SELECT sum(amount) FROM order_line_month WHERE order_date = DATE '2024-01-01'")
        ).scalar_one()
        apr = conn.execute(
            text("SELECT sum(amount) FROM order_line_month WHERE order_date = DATE '2024-04-01'")
        ).scalar_one()
        assert (jan, apr) == (Decimal("22.00"), Decimal("300.00"))
        ids = _ids_by_month(conn)
        assert ids[D(2024, 2, 1)] == ids_before[D(2024, 2, 1)]  # untouched month kept its rows
        assert ids[D(2024, 1, 1)] > ids_before[D(2024, 4, 1)]
        conn.execute(text("INSERT INTO t_months VALUES (DATE '2024-04-01'), (NULL)"))
        refresh_order_line_month(conn, "t_months")
    assert_summary_exact(db.engine)


def test_the_migration_fills_the_summary_from_existing_lines(db: Db) -> None:
    _lines(db)
    assert summary_rows(db.engine) == []  # written past the derived-data refresh
    with db.engine.begin() as conn:
        refresh_order_headers(conn)
        conn.execute(
            text(
                "INSERT INTO payment (id, external_id, due_date, due_amount) "
                "VALUES (1, 'P1', DATE '2024-01-10', 70)"
            )
        )
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert current_revision(db.engine) == "0001"
    upgrade(db.engine)
    assert current_revision(db.engine) == "0010_exact_money"
    assert summary_rows(db.engine) == expected_rows(db.engine) != []
    assert header_month_rows(db.engine) == expected_header_month_rows(db.engine) != []
    with db.engine.connect() as conn:  # P1 is overdue at every month end since January 2024
        overdue = conn.execute(
            text("SELECT overdue FROM payment_month_end WHERE as_of = DATE '2024-01-31'")
        ).scalars()
        assert [float(v) for v in overdue] == [70.0]
        # and sums it by due month and paid month (none: not paid)
        months = conn.execute(text("SELECT due_date, paid_date, due_amount FROM payment_month"))
        assert [(d, p, float(a)) for d, p, a in months] == [(D(2024, 1, 1), None, 70.0)]
