"""Writing the demo company: counts per knob, determinism, integrity, derived tables, replace."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from salesops.db.derived import (
    refresh_change_sequence,
    refresh_customer_order_dates,
    refresh_open_payments,
    refresh_order_headers,
    refresh_payment_months,
)
from salesops.db.engine import make_engine
from salesops.db.migrate import upgrade
from salesops.demo import DATA_TABLES, DemoDataError, generate_demo
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from tests.conftest import PG_URL, Db
from tests.db.summary_check import assert_summary_exact
from tests.demo.helpers import TINY, count, fingerprint, fingerprints, rows


def test_row_counts_follow_the_knobs(db: Db) -> None:
    result = generate_demo(db.engine, TINY)
    assert count(db.engine, "region") == 2
    assert [r.name for r in rows(db.engine, "SELECT name FROM region ORDER BY id")] == [
        "华东",
        "华北",
    ]
    # company, two regions, one team per region (two reps each, plus a replacement)
    assert count(db.engine, "org_unit") == 5
    assert count(db.engine, "rep") == 5
    assert rows(db.engine, "SELECT count(*) FROM rep WHERE left_on IS NOT NULL")[0][0] == 1
    assert rows(db.engine, "SELECT count(*) FROM rep WHERE active")[0][0] == 4
    assert count(db.engine, "customer") == 50
    assert count(db.engine, "opportunity") == 300
    assert count(db.engine, "product") == 19
    assert count(db.engine, "pipeline_stage") == 7
    lines = count(db.engine, "order_line")
    assert 1_800 <= lines <= 2_200  # aimed at 2,000
    assert result.counts == {t: count(db.engine, t) for t in DATA_TABLES}
    # marketing: 6 channels x 2 regions x 35 months (2024-01 .. 2026-11)
    assert count(db.engine, "marketing_spend") == 6 * 2 * 35
    # market size: 2 regions x 5 product lines x 3 years
    assert count(db.engine, "market_size") == 30
    first, last = rows(db.engine, "SELECT min(order_date), max(order_date) FROM order_line")[0]
    assert str(first) >= "2024-01-01"
    assert str(last) <= "2026-11-22"


def test_ten_times_the_knobs_ten_times_the_rows(db: Db) -> None:
    bigger = dataclasses.replace(TINY, customers=500, opportunities=3_000, order_lines=20_000)
    generate_demo(db.engine, bigger)
    assert count(db.engine, "customer") == 500
    assert count(db.engine, "opportunity") == 3_000
    assert 19_000 <= count(db.engine, "order_line") <= 21_000


@contextmanager
def _another_database(db: Db, tmp_path: Path, name: str) -> Iterator[Engine]:
    """Another fresh, migrated database of the same kind."""
    if db.kind == "duckdb":
        engine = make_engine(f"duckdb:///{tmp_path / name}.duckdb")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"t_demo_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_same_seed_same_rows_on_fresh_databases(db: Db, tmp_path: Path) -> None:
    generate_demo(db.engine, TINY)
    first = fingerprints(db.engine)
    with _another_database(db, tmp_path, "second") as other:
        generate_demo(other, TINY)
        assert fingerprints(other) == first
    with _another_database(db, tmp_path, "third") as third:
        generate_demo(third, dataclasses.replace(TINY, seed=8))
        changed = fingerprints(third)
    assert changed["order_line"] != first["order_line"]
    assert changed["opportunity"] != first["opportunity"]
    assert changed["pipeline_stage"] == first["pipeline_stage"]  # configuration, not chance


_REFERENCES = [
    ("org_unit", "parent_id", "org_unit"),
    ("org_unit", "region_id", "region"),
    ("rep", "org_unit_id", "org_unit"),
    ("rep", "manager_id", "rep"),
    ("rep", "region_id", "region"),
    ("customer", "region_id", "region"),
    ("customer", "owner_id", "rep"),
    ("opportunity", "customer_id", "customer"),
    ("opportunity", "owner_id", "rep"),
    ("opportunity", "product_id", "product"),
    ("opportunity", "region_id", "region"),
    ("opportunity_change", "opportunity_id", "opportunity"),
    ("lead", "customer_id", "customer"),
    ("lead", "owner_id", "rep"),
    ("lead", "opportunity_id", "opportunity"),
    ("lead", "region_id", "region"),
    ("order_header", "customer_id", "customer"),
    ("order_header", "rep_id", "rep"),
    ("order_header", "region_id", "region"),
    ("order_line", "order_id", "order_header"),
    ("order_line", "customer_id", "customer"),
    ("order_line", "rep_id", "rep"),
    ("order_line", "product_id", "product"),
    ("order_line", "region_id", "region"),
    ("payment", "customer_id", "customer"),
    ("payment", "rep_id", "rep"),
    ("payment", "region_id", "region"),
    ("activity", "customer_id", "customer"),
    ("activity", "rep_id", "rep"),
    ("activity", "opportunity_id", "opportunity"),
    ("activity", "region_id", "region"),
    ("feedback", "customer_id", "customer"),
    ("feedback", "rep_id", "rep"),
    ("feedback", "assignee_id", "rep"),
    ("feedback", "region_id", "region"),
    ("marketing_spend", "region_id", "region"),
    ("market_size", "region_id", "region"),
    ("target", "org_unit_id", "org_unit"),
    ("target", "rep_id", "rep"),
    ("target", "region_id", "region"),
    ("target", "parent_id", "target"),
]


def test_every_reference_exists(db: Db) -> None:
    generate_demo(db.engine, TINY)
    for table, column, target in _REFERENCES:
        orphans = rows(
            db.engine,
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {target} x WHERE x.id = t.{column})",
        )[0][0]
        assert orphans == 0, f"{table}.{column}"
    # Facts carry the sales region of their rep; every fact has a rep and a customer.
    for table, rep in [
        ("order_line", "rep_id"),
        ("opportunity", "owner_id"),
        ("payment", "rep_id"),
        ("activity", "rep_id"),
        ("feedback", "rep_id"),
    ]:
        wrong = rows(
            db.engine,
            f"SELECT count(*) FROM {table} f LEFT JOIN rep r ON r.id = f.{rep} "  # noqa: S608
            "WHERE r.id IS NULL OR f.region_id IS DISTINCT FROM r.region_id "
            "OR f.customer_id IS NULL",
        )[0][0]
        assert wrong == 0, table
    # Payments belong to orders of the same customer.
    assert rows(
        db.engine,
        "SELECT count(*) FROM payment p LEFT JOIN order_header h ON h.order_no = p.order_no "
        "WHERE h.id IS NULL OR h.customer_id <> p.customer_id OR p.due_date < h.order_date",
    ) == [(0,)]


def test_dates_are_consistent(db: Db) -> None:
    generate_demo(db.engine, TINY)
    checks = {
        "deal before its customer existed": "SELECT count(*) FROM opportunity o "
        "JOIN customer c ON c.id = o.customer_id WHERE o.created_on < c.created_on",
        "order outside the history": "SELECT count(*) FROM order_line "
        "WHERE order_date < '2024-01-01' OR order_date > '2026-11-22'",
        "order by a rep not employed": "SELECT count(*) FROM order_line l "
        "JOIN rep r ON r.id = l.rep_id "
        "WHERE l.order_date < r.hired_on OR l.order_date >= r.left_on",
        "activity by a rep not employed": "SELECT count(*) FROM activity a "
        "JOIN rep r ON r.id = a.rep_id WHERE CAST(a.occurred_at AS DATE) < r.hired_on "
        "OR CAST(a.occurred_at AS DATE) >= r.left_on "
        "OR a.occurred_at < '2024-01-01' OR a.occurred_at >= '2026-11-23'",
        "converted lead after its deal": "SELECT count(*) FROM lead l "
        "JOIN opportunity o ON o.id = l.opportunity_id WHERE l.created_on > o.created_on",
        "paid before the order": "SELECT count(*) FROM payment p "
        "JOIN order_header h ON h.order_no = p.order_no WHERE p.paid_date < h.order_date",
        "paid in the future": "SELECT count(*) FROM payment WHERE paid_date > '2026-11-22'",
        "feedback before its order could arrive": "SELECT count(*) FROM feedback f "
        "WHERE f.received_on > '2026-11-22' OR f.received_on < '2024-01-08'",
    }
    for name, sql in checks.items():
        assert rows(db.engine, sql) == [(0,)], name


def test_order_headers_are_what_the_refresh_would_write(db: Db) -> None:
    generate_demo(db.engine, TINY)
    before = {t: fingerprint(db.engine, t) for t in ("order_header", "order_line", "customer")}
    headers = count(db.engine, "order_header")
    assert headers == rows(db.engine, "SELECT count(DISTINCT order_no) FROM order_line")[0][0]
    with db.engine.begin() as conn:
        refresh_order_headers(conn)
        refresh_customer_order_dates(conn)
    after = {t: fingerprint(db.engine, t) for t in ("order_header", "order_line", "customer")}
    assert after == before
    assert count(db.engine, "order_header") == headers
    # and the customers' order dates are set (buying customers only)
    assert rows(
        db.engine,
        "SELECT count(*) FROM customer c WHERE c.first_order_on IS DISTINCT FROM "
        "(SELECT min(order_date) FROM order_line l WHERE l.customer_id = c.id "
        "AND l.status = 'normal')",
    ) == [(0,)]
    assert (
        rows(db.engine, "SELECT count(*) FROM customer WHERE first_order_on IS NOT NULL")[0][0] > 25
    )


def test_change_sequence_is_what_the_refresh_would_write(db: Db) -> None:
    generate_demo(db.engine, TINY)
    sql = "SELECT id, seq, next_at FROM opportunity_change ORDER BY id"
    written = rows(db.engine, sql)
    assert written and all(seq is not None for _, seq, _ in written)
    with db.engine.begin() as conn:
        refresh_change_sequence(conn)
    assert rows(db.engine, sql) == written
    # and they mean what they say: the first change of a field has rank 1, the last no next
    firsts = "SELECT count(*) FROM opportunity_change WHERE seq = 1"
    pairs = "SELECT count(DISTINCT (opportunity_id, field)) FROM opportunity_change"
    lasts = "SELECT count(*) FROM opportunity_change WHERE next_at IS NULL"
    assert rows(db.engine, firsts) == rows(db.engine, pairs) == rows(db.engine, lasts)


def test_the_monthly_summary_is_the_lines_summed(db: Db) -> None:
    generate_demo(db.engine, TINY)
    assert_summary_exact(db.engine)
    assert count(db.engine, "order_line_month") > 100
    # a replace empties the summary with the lines and sums the new ones
    generate_demo(db.engine, dataclasses.replace(TINY, seed=8), replace=True)
    assert_summary_exact(db.engine)


def test_the_kept_payment_tables_are_what_a_payment_import_would_write(db: Db) -> None:
    # The demo once left payment_month and payment_open empty: the collection rate and the
    # overdue receivables of every demo board then read nothing (None, 0).
    generate_demo(db.engine, TINY)
    tables = ("payment_month", "payment_open")

    def content(table: str) -> list[str]:  # the rows, not their ids (a rewrite renumbers)
        got = rows(db.engine, f"SELECT * FROM {table}")  # noqa: S608
        return sorted(repr([str(v) for v in r[1:]]) for r in got)

    written = {t: content(t) for t in tables}
    assert count(db.engine, "payment_month") > 10 and count(db.engine, "payment_open") > 0
    with db.engine.begin() as conn:
        refresh_payment_months(conn)
        refresh_open_payments(conn)
    assert {t: content(t) for t in tables} == written
    today = TINY.today
    q = MetricQuery("collection_rate", start=today.replace(month=1, day=1), end=today)
    kept = MetricsEngine(db.engine, today=today).query(q).rows
    facts = MetricsEngine(db.engine, today=today, summary=False).query(q).rows
    assert kept == facts and kept[0]["value"] is not None


def test_refuses_a_database_with_data_and_replaces_on_request(db: Db) -> None:
    generate_demo(db.engine, TINY)
    counts = {t: count(db.engine, t) for t in DATA_TABLES}
    max_line = rows(db.engine, "SELECT max(id) FROM order_line")[0][0]
    with pytest.raises(DemoDataError, match="already holds data"):
        generate_demo(db.engine, TINY)
    assert {t: count(db.engine, t) for t in DATA_TABLES} == counts
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, role, rep_id, active) "
                "VALUES ('zhang', 'rep', 2, true)"
            )
        )
    result = generate_demo(db.engine, TINY, replace=True)
    assert result.replaced == list(DATA_TABLES)
    assert result.unlinked_users == 1
    assert {t: count(db.engine, t) for t in DATA_TABLES} == counts
    # Ids continue after the first run's: the sequences moved on, nothing collided.
    assert rows(db.engine, "SELECT min(id) FROM order_line")[0][0] == max_line + 1
    assert rows(db.engine, "SELECT username, rep_id FROM app_user") == [("zhang", None)]


def test_replace_empties_what_the_board_recorded_about_the_old_rows(db: Db) -> None:
    """Tasks, ownership history and fired alerts are about the old rows and go with them; a
    company-wide alert rule stays, a rule scoped to a rep that no longer exists goes."""
    generate_demo(db.engine, TINY)
    now = {"now": dt.datetime(2026, 12, 1, 9, 0), "day": dt.date(2026, 12, 1)}
    with db.engine.begin() as conn:
        for sql in (
            "INSERT INTO task (kind, status, source, customer_id, owner_rep_id, created_on, "
            "created_at) VALUES ('call', 'open', 'manual', 1, 2, :day, :now)",
            "INSERT INTO customer_owner_history (customer_id, rep_id) VALUES (1, 2)",
            "INSERT INTO alert_rule (name, kind, config, severity, scope_kind, schedule, enabled) "
            "VALUES ('company', 'threshold', '{}', 'warning', 'company', 'daily', true)",
            "INSERT INTO alert_rule (name, kind, config, severity, scope_kind, schedule, enabled, "
            "rep_id) VALUES ('one rep', 'threshold', '{}', 'warning', 'rep', 'daily', true, 2)",
            "INSERT INTO alert (rule_id, dedup_key, period, severity, scope_kind, explanation, "
            "fired_at, status) SELECT id, 'k', '2026-11', 'warning', 'rep', '{}', :now, 'open' "
            "FROM alert_rule WHERE name = 'one rep'",
        ):
            conn.execute(text(sql), {k: v for k, v in now.items() if f":{k}" in sql})
    generate_demo(db.engine, TINY, replace=True)
    assert count(db.engine, "task") == 0
    assert count(db.engine, "customer_owner_history") == 0
    assert count(db.engine, "alert") == 0
    assert rows(db.engine, "SELECT name FROM alert_rule") == [("company",)]


def test_replace_decides_for_every_table_that_references_the_emptied_ones() -> None:
    """A new table with a reference into the data must say what ``--replace`` does with it:
    emptied, scoped configuration (deleted when scoped), or unlinked; else PostgreSQL's TRUNCATE
    fails on it (as it once did for ``customer_owner_history``)."""
    from salesops.db.schema import Base
    from salesops.demo.writer import SCOPED_CONFIG, UNLINKED, emptied_tables

    emptied = set(emptied_tables())
    decided = emptied | set(SCOPED_CONFIG) | set(UNLINKED)
    undecided = sorted(
        table.name
        for table in Base.metadata.sorted_tables
        if table.name not in decided
        and any(fk.column.table.name in emptied for fk in table.foreign_keys)
    )
    assert undecided == []


def test_a_later_import_gets_fresh_ids(db: Db, tmp_path: Path) -> None:
    from salesops.ingest import import_file

    generate_demo(db.engine, TINY)
    last = {t: rows(db.engine, f"SELECT max(id) FROM {t}")[0][0] for t in ("order_line", "product")}  # noqa: S608
    products = tmp_path / "products.csv"
    products.write_text("external_id,name\nP999,新网关\n", encoding="utf-8")
    assert import_file(db.engine, "product", products).ok
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "order_no,line_no,order_date,customer,rep,product,amount\n"
        "X-1,1,2026-11-20,C000001,R0001,P001,100.00\n"
        "X-1,2,2026-11-20,C000001,R0001,P999,50.00\n",
        encoding="utf-8",
    )
    report = import_file(db.engine, "order_line", lines)
    assert report.ok, report.errors
    ids = rows(db.engine, "SELECT id FROM order_line WHERE order_no = 'X-1' ORDER BY line_no")
    assert [i for (i,) in ids] == [last["order_line"] + 1, last["order_line"] + 2]
    assert rows(db.engine, "SELECT id FROM product WHERE external_id = 'P999'") == [
        (last["product"] + 1,)
    ]
