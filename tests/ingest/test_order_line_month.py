"""Imports keep the monthly order-line summary (and the monthly order counts,
``order_header_month``) exact, rewriting only the months they change.

The importer has no deletion: a line leaves the summary only by leaving its month (a date
change), which the tests below cover.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.conftest import Db
from tests.db.summary_check import (
    assert_header_months_exact,
    assert_summary_exact,
    header_month_rows,
    summary_rows,
)
from tests.ingest.helpers import ok, rows, run, seed_customers, write_csv

HEADER = ["order_no", "line_no", "order_date", "customer", "rep", "channel", "amount", "cost",
          "status"]  # fmt: skip
LINES = [
    ["S1", "1", "2024-03-05", "C1", "R1", "online", "100", "60", "normal"],
    ["S1", "2", "2024-04-10", "C1", "R1", "online", "40", "", "normal"],  # same order, April
    ["S2", "1", "2024-03-31", "C2", "R3", "offline", "10.50", "2.25", "normal"],
    ["S3", "1", "2024-05-06", "C1", "R2", "", "99", "50", "cancelled"],
    ["S4", "1", "2023-12-31", "C2", "R3", "offline", "5", "1", "returned"],
]


def _import(db: Db, tmp_path: Path, lines: list[list[str]]) -> Any:
    return ok(db, "order_line", write_csv(tmp_path / "o.csv", [HEADER, *lines]))


def _exact(db: Db) -> None:
    assert_summary_exact(db.engine)
    assert_header_months_exact(db.engine)


def _ids(db: Db) -> dict[dt.date, list[int]]:
    out: dict[dt.date, list[int]] = {}
    for month, row_id in rows(db, "SELECT order_date, id FROM order_line_month ORDER BY id"):
        out.setdefault(month, []).append(row_id)
    return out


def test_an_import_fills_the_summary(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    _exact(db)
    assert sorted({r[0] for r in summary_rows(db.engine)}) == [
        dt.date(2023, 12, 1),
        dt.date(2024, 3, 1),
        dt.date(2024, 4, 1),
        dt.date(2024, 5, 1),
    ]


def test_a_reimport_rewrites_only_the_months_it_changes(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    before, ids = summary_rows(db.engine), _ids(db)
    again = _import(db, tmp_path, LINES)
    assert again.updated == 0 and (summary_rows(db.engine), _ids(db)) == (before, ids)
    changed = [list(r) for r in LINES]
    changed[2][6] = "12.75"  # S2 in March
    assert _import(db, tmp_path, changed).updated == 1
    _exact(db)
    now = _ids(db)
    assert now[dt.date(2024, 3, 1)] != ids[dt.date(2024, 3, 1)]
    assert {m: now[m] for m in now if m.month != 3} == {m: ids[m] for m in ids if m.month != 3}


def test_a_line_moving_to_another_month_leaves_the_old_one(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    # S1's April line moves to May; its order header keeps the March date of the first line,
    # so only the line's own old date tells that April changed.
    moved = [list(r) for r in LINES]
    moved[1][2] = "2024-05-02"
    assert _import(db, tmp_path, moved).updated == 1
    _exact(db)
    assert dt.date(2024, 4, 1) not in {r[0] for r in summary_rows(db.engine)}
    # and a line moving into a month that had none, across a year
    moved[4][2] = "2025-01-15"
    _import(db, tmp_path, moved[4:])
    _exact(db)


def test_changed_keys_cost_and_status_are_followed(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    changed = [list(r) for r in LINES]
    changed[0][4] = "R2"  # another rep (and so region)
    changed[0][7] = ""  # cost no longer known
    changed[3][8] = "normal"
    changed.append(["S5", "1", "2024-03-15", "C1", "R1", "online", "1", "1", "normal"])
    report = _import(db, tmp_path, changed)
    assert (report.inserted, report.updated) == (1, 2)
    _exact(db)


def test_a_partial_reimport_and_profit_instead_of_cost(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["order_no", "line_no", "order_date", "amount", "profit"],
            ["S1", "1", "2024-06-01", "100", "30"],
            ["S9", "1", "2024-03-02", "8", ""],
        ],
    )
    ok(db, "order_line", path)
    _exact(db)


def test_a_failed_import_leaves_the_summary_as_it_was(db: Db, tmp_path: Path) -> None:
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    before = summary_rows(db.engine)
    bad = [list(r) for r in LINES]
    bad[0][6] = "1OO"  # letter O
    bad[1][2] = "2024-07-01"
    report = run(db, "order_line", write_csv(tmp_path / "bad.csv", [HEADER, *bad]))
    assert report.status == "failed"
    assert summary_rows(db.engine) == before


def test_an_order_counts_in_the_month_of_its_first_line(db: Db, tmp_path: Path) -> None:
    """An order is dated by its earliest line: a new earlier line, or the earliest line moving
    away, moves the whole order to a month no changed line is in."""
    seed_customers(db, tmp_path)
    _import(db, tmp_path, LINES)
    c1, c2 = (i for (i,) in rows(db, "SELECT id FROM customer ORDER BY external_id")[:2])
    counted = {(r[0], r[1]): r[5] for r in header_month_rows(db.engine)}
    assert counted[(dt.date(2024, 3, 1), c1)] == 1  # S1: March and April lines
    assert counted[(dt.date(2024, 3, 1), c2)] == 1  # S2
    moved = [
        # S1's March line moves to May: the order now starts in April (its other line)
        ["S1", "1", "2024-05-05", "C1", "R1", "online", "100", "60", "normal"],
        # S2 gets a line in February: the order moves from March to February
        ["S2", "2", "2024-02-10", "C2", "R3", "offline", "1", "", "normal"],
    ]
    _import(db, tmp_path, moved)
    _exact(db)
    counted = {(r[0], r[1]): r[5] for r in header_month_rows(db.engine)}
    assert (dt.date(2024, 3, 1), c1) not in counted and (dt.date(2024, 3, 1), c2) not in counted
    assert counted[(dt.date(2024, 4, 1), c1)] == 1
    assert counted[(dt.date(2024, 2, 1), c2)] == 1
