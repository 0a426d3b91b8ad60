"""payment_month_end: the receivables overdue at every past month end, summed per customer, rep
and region (overdue receivables by month without joining every payment with every date)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00

The table is derived data. Its rows are computed by the overdue measure's own SQL, which lives
in the metrics code, so the migration only creates the tables; ``salesops.db.migrate`` fills
them once the schema is there, and every writer keeps them exact from then on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("payment_month_end_id_seq")))
    op.create_table(
        "payment_month_end",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('payment_month_end_id_seq')"),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("overdue", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_month_end")),
    )
    if _is_postgresql():
        op.create_index("ix_payment_month_end_as_of", "payment_month_end", ["as_of"], unique=False)
    op.create_table(
        "payment_month_end_cover",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_payment_month_end_cover")),
    )


def downgrade() -> None:
    op.drop_table("payment_month_end_cover")
    if _is_postgresql():
        op.drop_index("ix_payment_month_end_as_of", table_name="payment_month_end")
    op.drop_table("payment_month_end")
    op.execute(sa.schema.DropSequence(sa.Sequence("payment_month_end_id_seq")))
