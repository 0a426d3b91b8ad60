"""order_header_month: normal orders counted per month and customer (an exact stand-in for
order headers in order and customer counts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00

The table is derived data: it is filled here from the order headers already in the database,
and every writer keeps it exact from then on (``salesops.db.derived``). The SQL is frozen
here rather than imported, so this migration keeps doing what it did when the code moves on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The cast to TIMESTAMP keeps PostgreSQL from truncating in the session's time zone.
_FILL = """
    INSERT INTO order_header_month (order_date, customer_id, rep_id, region_id, channel,
                                    orders, normal_lines)
    SELECT CAST(date_trunc('month', CAST(order_date AS TIMESTAMP)) AS DATE), customer_id,
           rep_id, region_id, channel, count(*), sum(normal_lines)
    FROM order_header
    WHERE normal_lines > 0 AND order_date IS NOT NULL
    GROUP BY CAST(date_trunc('month', CAST(order_date AS TIMESTAMP)) AS DATE), customer_id,
             rep_id, region_id, channel
    ORDER BY 1
"""


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("order_header_month_id_seq")))
    op.create_table(
        "order_header_month",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('order_header_month_id_seq')"),
            nullable=False,
        ),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("normal_lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_header_month")),
    )
    if _is_postgresql():
        op.create_index(
            "ix_order_header_month_order_date",
            "order_header_month",
            ["order_date"],
            unique=False,
        )
    op.execute(_FILL)


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_order_header_month_order_date", table_name="order_header_month")
    op.drop_table("order_header_month")
    op.execute(sa.schema.DropSequence(sa.Sequence("order_header_month_id_seq")))
