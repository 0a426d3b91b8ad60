"""order_line_month: order lines summed per month (an exact stand-in for sums)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

The table is derived data: it is filled here from the order lines already in the database,
and every writer keeps it exact from then on (``salesops.db.derived``). The SQL is frozen
here rather than imported, so this migration keeps doing what it did when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The cast to TIMESTAMP keeps PostgreSQL from truncating in the session's time zone.
_FILL = """
    INSERT INTO order_line_month (order_date, status, region_id, rep_id, product_id, channel,
                                  cost_known, amount, cost, lines)
    SELECT CAST(date_trunc('month', CAST(order_date AS TIMESTAMP)) AS DATE), status, region_id,
           rep_id, product_id, channel, cost IS NOT NULL, sum(amount), sum(cost), count(*)
    FROM order_line
    GROUP BY CAST(date_trunc('month', CAST(order_date AS TIMESTAMP)) AS DATE), status,
             region_id, rep_id, product_id, channel, cost IS NOT NULL
    ORDER BY 1
"""


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("order_line_month_id_seq")))
    op.create_table(
        "order_line_month",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('order_line_month_id_seq')"),
            nullable=False,
        ),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("cost_known", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=24, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=24, scale=2), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line_month")),
    )
    if _is_postgresql():
        op.create_index(
            "ix_order_line_month_order_date", "order_line_month", ["order_date"], unique=False
        )
    op.execute(_FILL)


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_order_line_month_order_date", table_name="order_line_month")
    op.drop_table("order_line_month")
    op.execute(sa.schema.DropSequence(sa.Sequence("order_line_month_id_seq")))
