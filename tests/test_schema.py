"""The migration creates the schema the models declare, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from salesops.db.engine import session_scope
from salesops.db.migrate import current_revision, upgrade
from salesops.db.schema import OrderLine, Region, metadata
from tests.conftest import Db


def test_migration_creates_every_table(db: Db) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert current_revision(db.engine) is not None


def test_upgrade_is_idempotent(db: Db) -> None:
    before = current_revision(db.engine)
    upgrade(db.engine)
    assert current_revision(db.engine) == before


def test_postgresql_schema_matches_models(db: Db) -> None:
    if db.kind != "postgresql":
        return  # duckdb-engine cannot reflect constraints well enough to compare
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_money_is_exact_and_chinese_text_survives(db: Db) -> None:
    with session_scope(db.engine) as s:
        s.add(Region(name="华东"))
        for line_no, amount in [(1, "0.10"), (2, "0.20")]:
            s.add(
                OrderLine(
                    order_no="SO-1",
                    line_no=line_no,
                    order_date=dt.date(2026, 1, 2),
                    amount=Decimal(amount),
                    status="normal",
                )
            )
    with session_scope(db.engine) as s:
        assert s.scalar(select(Region.name)) == "华东"
        total = s.scalar(select(func.sum(OrderLine.amount)))
        assert total == Decimal("0.30")
