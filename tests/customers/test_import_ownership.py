"""Importing customers whose owner changed writes who owned them when (reason ``import``),
once: a re-import of the same file writes nothing. Both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from salesops.customers import ownership
from salesops.db.schema import Customer, CustomerOwnerHistory, Rep
from tests.conftest import Db
from tests.ingest.helpers import ok, write_csv

D = dt.date
H = CustomerOwnerHistory


def _customers(tmp_path: Path, name: str, owners: dict[str, str]) -> Path:
    rows: list[list[str]] = [["external_id", "name", "owner"]]
    rows += [[cid, f"Customer {cid}", owner] for cid, owner in owners.items()]
    return write_csv(tmp_path / name, rows)


def _history(db: Db) -> list[tuple[str, str | None, D | None, D | None, str | None]]:
    with db.engine.connect() as conn:
        q = (
            select(Customer.external_id, Rep.external_id, H.valid_from, H.valid_to, H.reason)
            .join(Customer, Customer.id == H.customer_id)
            .outerjoin(Rep, Rep.id == H.rep_id)
            .order_by(Customer.external_id, H.valid_from.nulls_first(), H.id)
        )
        return [tuple(r) for r in conn.execute(q)]  # type: ignore[misc]


def test_an_owner_changed_by_import_is_kept_in_the_ownership_history(
    db: Db, tmp_path: Path
) -> None:
    reps = write_csv(tmp_path / "reps.csv", [["external_id", "name"], ["R1", "Ann"], ["R2", "Bob"]])
    ok(db, "rep", reps)
    first = _customers(tmp_path, "c1.csv", {"C1": "R1", "C2": "R1", "C3": ""})
    ok(db, "customer", first, as_of=dt.datetime(2026, 1, 10, 9))
    assert _history(db) == []  # new customers: their owner is the only one so far

    moved = _customers(tmp_path, "c2.csv", {"C1": "R2", "C2": "R1", "C3": "R2"})
    ok(db, "customer", moved, as_of=dt.datetime(2026, 3, 1, 9))
    expected = [
        ("C1", "R1", None, D(2026, 3, 1), "import"),  # owned by R1 until the snapshot
        ("C1", "R2", D(2026, 3, 1), None, "import"),
        ("C3", None, None, D(2026, 3, 1), "import"),  # had no owner
        ("C3", "R2", D(2026, 3, 1), None, "import"),
    ]
    assert _history(db) == expected

    ok(db, "customer", moved, as_of=dt.datetime(2026, 3, 2, 9))  # the same file again
    ok(db, "customer", moved)  # and without a snapshot time
    assert _history(db) == expected

    back = _customers(tmp_path, "c3.csv", {"C1": "R1", "C2": "R1", "C3": "R2"})
    ok(db, "customer", back, as_of=dt.datetime(2026, 4, 1, 9))
    assert (
        _history(db)
        == [
            ("C1", "R1", None, D(2026, 3, 1), "import"),
            ("C1", "R2", D(2026, 3, 1), D(2026, 4, 1), "import"),  # closed by the next change
            ("C1", "R1", D(2026, 4, 1), None, "import"),
            *expected[2:],
        ]
    )
    with db.engine.connect() as conn:
        c1 = conn.execute(select(Customer.id).where(Customer.external_id == "C1")).scalar_one()
        r1, r2 = (
            conn.execute(select(Rep.id).where(Rep.external_id == e)).scalar_one()
            for e in ("R1", "R2")
        )
        # whose customer was it on a day: the periods the imports wrote
        assert ownership.owner_as_of(conn, c1, D(2026, 2, 15)) == r1
        assert ownership.owner_as_of(conn, c1, D(2026, 3, 15)) == r2
        assert ownership.owner_as_of(conn, c1, D(2026, 4, 15)) == r1


def test_a_second_owner_change_on_the_same_day_replaces_the_period(db: Db, tmp_path: Path) -> None:
    reps = [["external_id", "name"], ["R1", "Ann"], ["R2", "Bob"], ["R3", "Cid"]]
    ok(db, "rep", write_csv(tmp_path / "reps.csv", reps))
    ok(db, "customer", _customers(tmp_path, "a.csv", {"C1": "R1"}), as_of=dt.datetime(2026, 1, 1))
    day = dt.datetime(2026, 5, 5, 10)
    ok(db, "customer", _customers(tmp_path, "b.csv", {"C1": "R2"}), as_of=day)
    ok(db, "customer", _customers(tmp_path, "c.csv", {"C1": "R3"}), as_of=day)
    assert _history(db) == [
        ("C1", "R1", None, D(2026, 5, 5), "import"),
        ("C1", "R3", D(2026, 5, 5), None, "import"),
    ]
