"""Imports keep the month-end pipeline, the stage stays, the visit conversions, the monthly
order counts, the overdue receivables at month ends and the monthly payment sums exact.

Each import refreshes only what it touched (the opportunities, customers it names); after every
step the three tables must hold exactly what a rebuild from scratch gives. The re-imports
move a won deal, an order line and a visit from one customer to another — the cases where
refreshing only the new state would leave the old customer's rows stale.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from salesops.db.derived import (
    refresh_month_ends,
    refresh_open_payments,
    refresh_order_header_month,
    refresh_payment_month_ends,
    refresh_payment_months,
    refresh_stage_stays,
    refresh_visit_conversions,
)
from tests.conftest import Db
from tests.ingest.helpers import ok, rows, seed_customers, write_csv

D = dt.date
_TABLES = {
    "opportunity_month_end": "SELECT as_of, opportunity_id, stage, status, amount, probability, "
    "expected_close_on, owner_ref FROM opportunity_month_end",
    "opportunity_month_end_cover": "SELECT as_of FROM opportunity_month_end_cover",
    "opportunity_stage_stay": "SELECT opportunity_id, stage, entered_at, left_on, days "
    "FROM opportunity_stage_stay",
    "visit_conversion": "SELECT id, kind, customer_id, rep_id, opportunity_id, region_id, "
    "occurred_at, converts_on FROM visit_conversion",
    "order_header_month": "SELECT order_date, customer_id, rep_id, region_id, channel, orders, "
    "normal_lines FROM order_header_month",
    "payment_month_end": "SELECT as_of, customer_id, rep_id, region_id, overdue "
    "FROM payment_month_end",
    "payment_month_end_cover": "SELECT as_of FROM payment_month_end_cover",
    "payment_month": "SELECT due_date, paid_date, rep_id, region_id, due_amount, paid_amount "
    "FROM payment_month",
    "payment_open": "SELECT id, external_id, customer_id, rep_id, region_id, due_date, "
    "due_amount, paid_date, paid_amount FROM payment_open",
}


def _contents(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for name, sql in _TABLES.items():
        found = [tuple(r) for r in conn.execute(text(sql))]
        out[name] = sorted(found, key=lambda r: tuple((v is None, str(v)) for v in r))
    return out


def assert_kept_exact(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The kept tables equal a rebuild from scratch (done in a transaction rolled back)."""
    with engine.connect() as conn:
        kept = _contents(conn)
        refresh_month_ends(conn)
        refresh_stage_stays(conn)
        refresh_visit_conversions(conn)
        refresh_order_header_month(conn)
        refresh_payment_month_ends(conn)
        refresh_payment_months(conn)
        refresh_open_payments(conn)
        rebuilt = _contents(conn)
        conn.rollback()
    assert kept == rebuilt
    return kept


OPP_HEADER = ["external_id", "customer", "owner", "stage", "status", "amount", "created_on",
              "closed_on", "snapshot_at"]  # fmt: skip
OPPS = [
    ["O1", "C1", "R1", "Qualify", "open", "1000", "2024-01-10", "", "2024-01-10"],
    ["O2", "C2", "R3", "Proposal", "open", "500", "2024-02-01", "", "2024-02-01"],
]
LINE_HEADER = ["order_no", "line_no", "order_date", "customer", "rep", "amount", "status"]
LINES = [
    ["S1", "1", "2024-03-05", "C1", "R1", "100", "normal"],
    ["S2", "1", "2024-05-20", "C2", "R3", "50", "normal"],
]
VISIT_HEADER = ["external_id", "kind", "customer", "rep", "at"]
VISITS = [
    ["V1", "visit", "C1", "R1", "2024-02-20 10:00"],  # C1 orders 5 March: converts then
    ["V2", "visit", "C2", "R3", "2024-01-15 09:00"],  # C2 orders 20 May: converts then
    ["V3", "call", "C2", "R3", "2024-01-16 09:00"],  # not a visit
]


def _converts(db: Db) -> dict[int, dt.date | None]:
    found = rows(
        db,
        "SELECT a.external_id, v.converts_on FROM visit_conversion v "
        "JOIN activity a ON a.id = v.id ORDER BY 1",
    )
    return dict(found)


def test_imports_keep_the_structures_exact(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    ok(db, "opportunity", write_csv(tmp_path / "o1.csv", [OPP_HEADER, *OPPS]))
    ok(db, "order_line", write_csv(tmp_path / "l1.csv", [LINE_HEADER, *LINES]))
    ok(db, "activity", write_csv(tmp_path / "a1.csv", [VISIT_HEADER, *VISITS]))
    kept = assert_kept_exact(db.engine)
    assert _converts(db) == {"V1": D(2024, 3, 5), "V2": D(2024, 5, 20)}
    # O1 was open at every month end from January 2024 (created 10 Jan), O2 from February
    ends = {(r[0], r[1]) for r in kept["opportunity_month_end"]}
    o1, o2 = (i for (i,) in rows(db, "SELECT id FROM opportunity ORDER BY external_id"))
    assert (D(2024, 1, 31), o1) in ends and (D(2024, 1, 31), o2) not in ends
    assert (D(2024, 2, 29), o2) in ends

    # O2 is won on 1 March and moves to customer C1; O1 advances a stage.
    moved = [
        ["O1", "C1", "R1", "Proposal", "open", "1200", "2024-01-10", "", "2024-02-15"],
        ["O2", "C1", "R3", "Won", "won", "500", "2024-02-01", "2024-03-01", "2024-03-01"],
    ]
    ok(db, "opportunity", write_csv(tmp_path / "o2.csv", [OPP_HEADER, *moved]))
    assert_kept_exact(db.engine)
    # V1 (C1, 20 Feb) now converts on O2's win, 1 March; V2 (C2) still on its order
    assert _converts(db) == {"V1": D(2024, 3, 1), "V2": D(2024, 5, 20)}
    stays = rows(
        db,
        "SELECT stage, left_on FROM opportunity_stage_stay WHERE opportunity_id = :o "
        "ORDER BY left_on",
        o=o1,
    )
    # O1 left Qualify at the snapshot time, 15 Feb 00:00 in Shanghai = 14 Feb 16:00 UTC; a
    # stay's end day is the UTC one (as time in stage has always counted it)
    assert stays == [("Qualify", D(2024, 2, 14))]

    # A stage-history file for O2 (Proposal -> Negotiation on 20 Feb) changes its stays.
    history = write_csv(
        tmp_path / "h.csv",
        [
            ["opportunity", "field", "old_value", "new_value", "changed_at"],
            ["O2", "stage", "Proposal", "Negotiation", "2024-02-20 08:00"],
        ],
    )
    ok(db, "opportunity_change", history)
    assert_kept_exact(db.engine)

    # S2 moves from C2 to C1 and S1 is cancelled: C2's visit loses its conversion.
    lines = [
        ["S1", "1", "2024-03-05", "C1", "R1", "100", "cancelled"],
        ["S2", "1", "2024-05-20", "C1", "R3", "50", "normal"],
    ]
    ok(db, "order_line", write_csv(tmp_path / "l2.csv", [LINE_HEADER, *lines]))
    assert_kept_exact(db.engine)
    assert _converts(db) == {"V1": D(2024, 3, 1), "V2": None}

    # V2 moves to C1 (which ordered on 20 May) and the call becomes a visit of C2.
    visits = [
        ["V2", "visit", "C1", "R3", "2024-01-15 09:00"],
        ["V3", "visit", "C2", "R3", "2024-01-16 09:00"],
    ]
    ok(db, "activity", write_csv(tmp_path / "a2.csv", [VISIT_HEADER, *visits]))
    assert_kept_exact(db.engine)
    assert _converts(db) == {"V1": D(2024, 3, 1), "V2": D(2024, 3, 1), "V3": None}


def test_a_month_that_ends_after_the_last_write_is_added_by_the_next(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO opportunity (id, external_id, status, amount, created_on, pipeline) "
                "VALUES (1, 'O1', 'open', 10, DATE '2024-01-10', 'default')"
            )
        )
        refresh_month_ends(conn, today=D(2024, 3, 15))
    cover = [d for (d,) in rows(db, "SELECT as_of FROM opportunity_month_end_cover ORDER BY 1")]
    assert cover == [D(2024, 1, 31), D(2024, 2, 29)]
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE t_opps AS SELECT 1 AS opportunity_id"))
        refresh_month_ends(conn, "t_opps", today=D(2024, 4, 2))
    cover = [d for (d,) in rows(db, "SELECT as_of FROM opportunity_month_end_cover ORDER BY 1")]
    assert cover == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]
    found = rows(db, "SELECT as_of, amount FROM opportunity_month_end ORDER BY as_of")
    assert [(d, float(a)) for d, a in found] == [
        (D(2024, 1, 31), 10.0),
        (D(2024, 2, 29), 10.0),
        (D(2024, 3, 31), 10.0),
    ]


def test_a_starting_server_adds_the_month_ends_that_passed(db: Db) -> None:
    from salesops.db.derived import add_passed_month_ends

    with db.engine.begin() as conn:
        assert add_passed_month_ends(conn, today=D(2024, 3, 15)) == 0  # never filled: no-op
        conn.execute(
            text(
                "INSERT INTO opportunity (id, external_id, status, amount, created_on, pipeline) "
                "VALUES (1, 'O1', 'open', 10, DATE '2024-01-10', 'default')"
            )
        )
        refresh_month_ends(conn, today=D(2024, 3, 15))
        assert add_passed_month_ends(conn, today=D(2024, 3, 20)) == 0
        assert add_passed_month_ends(conn, today=D(2024, 5, 2)) == 2  # March and April
    cover = [d for (d,) in rows(db, "SELECT as_of FROM opportunity_month_end_cover ORDER BY 1")]
    assert cover[-2:] == [D(2024, 3, 31), D(2024, 4, 30)]
    assert rows(db, "SELECT count(*) FROM opportunity_month_end") == [(4,)]


PAY_HEADER = ["external_id", "customer", "rep", "due_date", "due_amount", "paid_date",
              "paid_amount"]  # fmt: skip


def _overdue_at(db: Db, day: dt.date) -> list[tuple[str, float | None]]:
    found = rows(
        db,
        "SELECT c.external_id, p.overdue FROM payment_month_end p "
        "JOIN customer c ON c.id = p.customer_id WHERE p.as_of = :d ORDER BY 1",
        d=day,
    )
    return [(c, None if v is None else float(v)) for c, v in found]


def _payment_months(db: Db) -> list[tuple[Any, ...]]:
    found = rows(
        db,
        "SELECT p.due_date, p.paid_date, r.external_id, p.due_amount, p.paid_amount "
        "FROM payment_month p JOIN rep r ON r.id = p.rep_id ORDER BY 1, 2, 3",
    )
    return [(d, p, r, float(a), None if b is None else float(b)) for d, p, r, a, b in found]


def test_payment_imports_keep_the_overdue_month_ends_exact(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    payments = [
        ["P1", "C1", "R1", "2024-01-15", "100", "2024-03-10", "100"],
        ["P2", "C2", "R3", "2024-02-10", "200", "2024-02-20", "50"],  # 150 never paid
        ["P3", "C2", "R3", "2024-02-10", "40", "", ""],  # not yet paid: 40 overdue
    ]
    ok(db, "payment", write_csv(tmp_path / "p1.csv", [PAY_HEADER, *payments]))
    assert_kept_exact(db.engine)
    assert rows(db, "SELECT min(as_of) FROM payment_month_end_cover") == [(D(2024, 1, 31),)]
    assert _overdue_at(db, D(2024, 1, 31)) == [("C1", 100.0)]
    assert _overdue_at(db, D(2024, 2, 29)) == [("C1", 100.0), ("C2", 190.0)]
    assert _overdue_at(db, D(2024, 3, 31)) == [("C2", 190.0)]  # P1 paid 10 March
    # due month (1st), paid month (its last day), rep: sums; P2 and P3 differ in paid month
    assert _payment_months(db) == [
        (D(2024, 1, 1), D(2024, 3, 31), "R1", 100.0, 100.0),
        (D(2024, 2, 1), D(2024, 2, 29), "R3", 200.0, 50.0),
        (D(2024, 2, 1), None, "R3", 40.0, None),
    ]
    open_payments = "SELECT external_id FROM payment_open ORDER BY 1"
    assert rows(db, open_payments) == [("P2",), ("P3",)]  # P1 is paid in full

    # An order-line import leaves the payments, so their month ends are not rewritten.
    ids = rows(db, "SELECT min(id), max(id) FROM payment_month_end")
    ok(db, "order_line", write_csv(tmp_path / "l1.csv", [LINE_HEADER, *LINES]))
    assert rows(db, "SELECT min(id), max(id) FROM payment_month_end") == ids

    # P2 is paid in full on 5 March and P3 moves to C1 with 15 paid in February (25 left).
    changed = [
        ["P2", "C2", "R3", "2024-02-10", "200", "2024-03-05", "200"],
        ["P3", "C1", "R1", "2024-02-10", "40", "2024-02-25", "15"],
    ]
    ok(db, "payment", write_csv(tmp_path / "p2.csv", [PAY_HEADER, *changed]))
    assert_kept_exact(db.engine)
    assert _overdue_at(db, D(2024, 2, 29)) == [("C1", 125.0), ("C2", 200.0)]
    assert _overdue_at(db, D(2024, 3, 31)) == [("C1", 25.0)]
    assert _payment_months(db) == [
        (D(2024, 1, 1), D(2024, 3, 31), "R1", 100.0, 100.0),
        (D(2024, 2, 1), D(2024, 2, 29), "R1", 40.0, 15.0),
        (D(2024, 2, 1), D(2024, 3, 31), "R3", 200.0, 200.0),
    ]
    assert rows(db, open_payments) == [("P3",)]  # P2 is now paid in full


def test_a_starting_server_adds_the_payment_month_ends_that_passed(db: Db) -> None:
    from salesops.db.derived import add_passed_month_ends

    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO payment (id, external_id, due_date, due_amount) "
                "VALUES (1, 'P1', DATE '2024-01-10', 70)"
            )
        )
        assert refresh_payment_month_ends(conn, today=D(2024, 3, 15)) == 2
        add_passed_month_ends(conn, today=D(2024, 5, 2))  # March and April
    found = rows(db, "SELECT as_of, overdue FROM payment_month_end ORDER BY as_of")
    assert [(d, float(v)) for d, v in found] == [
        (D(2024, 1, 31), 70.0),
        (D(2024, 2, 29), 70.0),
        (D(2024, 3, 31), 70.0),
        (D(2024, 4, 30), 70.0),
    ]
    cover = [d for (d,) in rows(db, "SELECT as_of FROM payment_month_end_cover ORDER BY 1")]
    assert cover == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]
