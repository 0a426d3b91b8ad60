"""Migration 0010: money columns widen to four decimal places without losing a stored value."""

from __future__ import annotations

from decimal import Decimal

from alembic import command
from sqlalchemy import text

from salesops.db.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import Db


def _downgrade(db: Db, revision: str) -> None:
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _type(db: Db, table: str, column: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t AND column_name = :c"
            ),
            {"t": table, "c": column},
        ).one()
    return int(found[0]), int(found[1])


def test_upgrade_widens_money_of_a_database_holding_data(db: Db) -> None:
    _downgrade(db, "0008")
    assert _type(db, "order_line", "amount") == (18, 2)
    assert _type(db, "order_line_month", "amount") == (24, 2)
    with db.engine.begin() as conn:
        # DuckDB refuses to retype a column while an index of its table exists (the schema
        # creates none there; a user may have): one on the money column, one beside it
        conn.execute(text("CREATE INDEX ix_probe_amount ON order_line (amount)"))
        conn.execute(text("CREATE INDEX ix_probe_day ON payment (due_date)"))
        # the largest values the old types hold, and cents, in tables with indexes
        conn.execute(
            text(
                "INSERT INTO order_line (id, order_no, line_no, order_date, amount, cost, status) "
                "VALUES (1, 'S1', 1, DATE '2024-01-05', 9999999999999999.99, -0.01, 'normal'), "
                "(2, 'S1', 2, DATE '2024-01-06', 12.34, NULL, 'normal')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO order_line_month (id, order_date, status, cost_known, amount, lines) "
                "VALUES (1, DATE '2024-01-01', 'normal', TRUE, 9999999999999999999999.99, 2)"
            )
        )
        conn.execute(
            text("INSERT INTO payment (id, external_id, due_amount) VALUES (1, 'P1', 70.05)")
        )
    upgrade(db.engine)
    assert current_revision(db.engine) == head_revision()
    assert _type(db, "order_line", "amount") == (20, 4)
    assert _type(db, "order_line", "cost") == (20, 4)
    assert _type(db, "order_line_month", "amount") == (28, 4)
    assert _type(db, "payment", "due_amount") == (20, 4)
    with db.engine.begin() as conn:
        lines = conn.execute(text("SELECT amount, cost FROM order_line ORDER BY id")).all()
        assert [tuple(r) for r in lines] == [
            (Decimal("9999999999999999.99"), Decimal("-0.01")),
            (Decimal("12.34"), None),
        ]
        month = conn.execute(text("SELECT amount FROM order_line_month")).scalar_one()
        assert month == Decimal("9999999999999999999999.99")
        assert conn.execute(text("SELECT due_amount FROM payment")).scalar_one() == Decimal("70.05")
        # four places are kept now
        conn.execute(text("UPDATE order_line SET amount = 0.0005 WHERE id = 2"))
        assert conn.execute(
            text("SELECT amount FROM order_line WHERE id = 2")
        ).scalar_one() == Decimal("0.0005")
    # the indexes are still there (DuckDB: dropped and created again by the migration)
    with db.engine.begin() as conn:
        found = text(
            "SELECT count(*) FROM duckdb_indexes() WHERE index_name LIKE 'ix_probe_%'"
            if db.kind == "duckdb"
            else "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_probe_%' "
            "AND schemaname = current_schema()"
        )
        assert conn.execute(found).scalar_one() == 2
        conn.execute(text("DROP INDEX ix_probe_amount"))  # the PostgreSQL schema is shared
        conn.execute(text("DROP INDEX ix_probe_day"))
