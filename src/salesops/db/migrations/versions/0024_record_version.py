"""Webhook record versions (issue #21): ``record_version``

Revision ID: 0024_record_version
Revises: 0023_report_schedule
Create Date: 2026-12-07 19:05:00

The ``version`` / ``updated_at`` of each record a webhook last wrote, per entity and
``external_id``: a record arriving late with an older version is skipped instead of
overwriting the newer one (:mod:`salesops.integrate.webhook`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_record_version"
down_revision: str | None = "0023_report_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_version",
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "external_id", name=op.f("pk_record_version")),
    )


def downgrade() -> None:
    op.drop_table("record_version")
