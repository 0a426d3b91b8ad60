"""opportunity_month_end, opportunity_stage_stay, visit_conversion: the open pipeline at each
past month end, every ended stay in a stage, each visit's conversion day; kept by
salesops.db.derived

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:00:00

The tables start empty, and an empty cover means every date is read from history as before:
the rows are computed by the metrics code (``salesops.metrics.history``), which a migration
must not import, so the first write after the upgrade (or ``salesops db upgrade``, which
refreshes derived data) fills them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_conversion",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("converts_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_conversion")),
    )
    op.execute(sa.schema.CreateSequence(sa.Sequence("opportunity_stage_stay_id_seq")))
    op.create_table(
        "opportunity_stage_stay",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('opportunity_stage_stay_id_seq')"),
            nullable=False,
        ),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=300), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Double(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("pipeline", sa.String(length=100), nullable=True),
        sa.Column("source_channel", sa.String(length=100), nullable=True),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("lost_reason", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_stay")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_opportunity_stage_stay_left_on", "opportunity_stage_stay", ["left_on"])
        op.create_index(
            "ix_opportunity_stage_stay_opportunity_id",
            "opportunity_stage_stay",
            ["opportunity_id"],
        )
    op.create_table(
        "opportunity_month_end",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("probability", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("expected_close_on", sa.Date(), nullable=True),
        sa.Column("owner_ref", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("as_of", "opportunity_id", name=op.f("pk_opportunity_month_end")),
    )
    op.create_table(
        "opportunity_month_end_cover",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_opportunity_month_end_cover")),
    )


def downgrade() -> None:
    op.drop_table("visit_conversion")
    op.drop_table("opportunity_stage_stay")
    op.execute(sa.schema.DropSequence(sa.Sequence("opportunity_stage_stay_id_seq")))
    op.drop_table("opportunity_month_end_cover")
    op.drop_table("opportunity_month_end")
