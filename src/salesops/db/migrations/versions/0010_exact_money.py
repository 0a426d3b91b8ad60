"""money keeps four decimal places: Numeric(18, 2) → Numeric(20, 4), sums Numeric(24, 2) →
Numeric(28, 4); order_header.shared marks orders whose lines name several customers

Revision ID: 0010_exact_money
Revises: 0009
Create Date: 2026-12-07 03:00:00

Widening is lossless: every stored value fits the new type exactly (two more integer digits
for sums, the same sixteen for single amounts, two more decimal places). PostgreSQL rewrites
the tables and their indexes itself. DuckDB refuses to change a column's type while any
index of its table exists ("an index depends on it"; primary keys and unique constraints are
fine; dropping the index first does not help within one transaction), so on DuckDB a table
that has indexes — the schema creates none there, a user may have — is rebuilt from its own
recorded DDL with the new types, and its indexes are created again.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_exact_money"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, old type, new type) of every money column
_LINE = ((18, 2), (20, 4))
_SUM = ((24, 2), (28, 4))
_COLUMNS = (
    ("product", "list_price", _LINE),
    ("product", "unit_cost", _LINE),
    ("customer", "credit_limit", _LINE),
    ("opportunity", "amount", _LINE),
    ("opportunity_month_end", "amount", _LINE),
    ("order_header", "amount", _LINE),
    ("order_header", "cost", _LINE),
    ("order_line", "amount", _LINE),
    ("order_line", "cost", _LINE),
    ("order_line_month", "amount", _SUM),
    ("order_line_month", "cost", _SUM),
    ("payment", "due_amount", _LINE),
    ("payment", "paid_amount", _LINE),
    ("payment_month", "due_amount", _SUM),
    ("payment_month", "paid_amount", _SUM),
    ("payment_open", "due_amount", _LINE),
    ("payment_open", "paid_amount", _LINE),
    ("payment_month_end", "overdue", _LINE),
    ("marketing_spend", "amount", _LINE),
    ("market_size", "amount", _LINE),
)


def _duckdb_rebuild(table: str, columns: list[tuple[str, tuple[int, int]]]) -> None:
    """Retype ``columns`` of a DuckDB table that has indexes: copy the rows aside, create the
    table again from its own recorded DDL with the new types, copy them back, and create its
    indexes again (all in the migration's transaction; dropping only the indexes would not
    do: DuckDB keeps them as dependents until the transaction ends)."""
    conn = op.get_bind()
    ddl = str(
        conn.execute(
            sa.text(
                "SELECT sql FROM duckdb_tables() "
                "WHERE table_name = :t AND schema_name = current_schema()"
            ),
            {"t": table},
        ).scalar_one()
    )
    for column, (precision, scale) in columns:
        pattern = r'(?<![\w"])("?)' + column + r"\1(\s+)DECIMAL\(\d+,\s*\d+\)"
        typed = f"{column}\\1\\2DECIMAL({precision},{scale})"
        ddl, found = re.subn(pattern, r"\1" + typed, ddl, count=1)
        assert found == 1, f"{table}.{column} not found in {ddl}"
    indexes = [
        str(sql)
        for sql in conn.execute(
            sa.text(
                "SELECT sql FROM duckdb_indexes() "
                "WHERE table_name = :t AND schema_name = current_schema()"
            ),
            {"t": table},
        ).scalars()
    ]
    keep = f"_keep_{table}"
    op.execute(f"CREATE TEMPORARY TABLE {keep} AS SELECT * FROM {table}")  # noqa: S608 - ours
    op.execute(f"DROP TABLE {table}")
    op.execute(ddl)
    op.execute(f"INSERT INTO {table} SELECT * FROM {keep}")  # noqa: S608 - our names
    op.execute(f"DROP TABLE {keep}")
    for sql in indexes:
        op.execute(sql)


def _has_indexes(table: str) -> bool:
    found = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM duckdb_indexes() "
            "WHERE table_name = :t AND schema_name = current_schema()"
        ),
        {"t": table},
    )
    return bool(found.scalar_one())


def _alter(new: bool) -> None:
    tables: dict[str, list[tuple[str, tuple[int, int]]]] = {}
    for table, column, (old_type, new_type) in _COLUMNS:
        tables.setdefault(table, []).append((column, new_type if new else old_type))
    duckdb = op.get_bind().dialect.name == "duckdb"
    for table, columns in tables.items():
        if duckdb and _has_indexes(table):
            _duckdb_rebuild(table, columns)
            continue
        for column, (precision, scale) in columns:
            if duckdb:
                op.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE DECIMAL({precision}, {scale})"
                )
            else:
                op.alter_column(table, column, type_=sa.Numeric(precision, scale))


_SHARED = """
    UPDATE order_header SET shared = TRUE
    WHERE order_no IN (
        SELECT order_no FROM order_line GROUP BY order_no
        HAVING min(CASE WHEN status = 'normal' THEN customer_id END)
               < max(CASE WHEN status = 'normal' THEN customer_id END)
    )
"""


def upgrade() -> None:
    _alter(new=True)
    # Orders whose normal lines name several customers count for each of them
    # (``salesops.db.migrate`` then recomputes the customers' first and last order dates).
    op.add_column("order_header", sa.Column("shared", sa.Boolean(), nullable=True))
    op.execute(_SHARED)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_order_header_shared",
            "order_header",
            ["id"],
            postgresql_where=sa.text("shared"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_order_header_shared", table_name="order_header")
    op.drop_column("order_header", "shared")
    _alter(new=False)  # rounds to cents: the values were exact only with four places
