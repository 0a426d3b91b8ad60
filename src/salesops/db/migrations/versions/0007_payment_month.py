"""payment_month: payments summed per due month, paid month, rep and region (the collection rate
of whole months without reading every payment); payment_open: the payments never settled in
full (overdue amounts today without reading every payment)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00

Both tables are derived data, and every payment writer keeps them exact from then on
(``salesops.db.derived``). ``payment_month`` is filled here from the payments already in the
database, with SQL frozen here rather than imported, so this migration keeps doing what it did
when the code moves on. ``payment_open`` is filled by ``salesops.db.migrate`` once the schema
is there: which payments it holds is the overdue query's own test, in the metrics code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The casts to TIMESTAMP keep PostgreSQL from truncating in the session's time zone.
_DUE = "CAST(date_trunc('month', CAST(due_date AS TIMESTAMP)) AS DATE)"
_PAID = (
    "CAST(date_trunc('month', CAST(paid_date AS TIMESTAMP)) + INTERVAL '1 month' "
    "- INTERVAL '1 day' AS DATE)"
)
_FILL = f"""
    INSERT INTO payment_month (due_date, paid_date, rep_id, region_id, due_amount, paid_amount)
    SELECT {_DUE}, {_PAID}, rep_id, region_id, sum(due_amount), sum(paid_amount)
    FROM payment
    WHERE due_date IS NOT NULL
    GROUP BY {_DUE}, {_PAID}, rep_id, region_id
    ORDER BY 1
"""  # noqa: S608 - no input, only our own column names


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("payment_month_id_seq")))
    op.create_table(
        "payment_month",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('payment_month_id_seq')"),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("due_amount", sa.Numeric(precision=24, scale=2), nullable=True),
        sa.Column("paid_amount", sa.Numeric(precision=24, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_month")),
    )
    if _is_postgresql():
        op.create_index("ix_payment_month_due_date", "payment_month", ["due_date"], unique=False)
    op.execute(_FILL)
    op.create_table(
        "payment_open",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sa.String(length=100), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.Column("paid_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_open")),
    )


def downgrade() -> None:
    op.drop_table("payment_open")
    if _is_postgresql():
        op.drop_index("ix_payment_month_due_date", table_name="payment_month")
    op.drop_table("payment_month")
    op.execute(sa.schema.DropSequence(sa.Sequence("payment_month_id_seq")))
