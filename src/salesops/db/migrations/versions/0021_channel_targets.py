"""channel-scoped targets: ``target.channel`` and ``target_proposal.channel`` (issue #27)

Revision ID: 0021_channel_targets
Revises: 0020_forecast_category
Create Date: 2026-12-07 15:30:00

A target (or a proposal) may be narrowed to one sales channel (``order_line.channel``, e.g.
直销 or 渠道): ``rep:张伟;channel:直销``. NULL keeps every existing target what it was: the
whole quota of its scope. Nullable columns only, so DuckDB's ``ADD COLUMN`` needs no default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_channel_targets"
down_revision: str | None = "0020_forecast_category"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("target", sa.Column("channel", sa.String(length=100), nullable=True))
    op.add_column("target_proposal", sa.Column("channel", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("target_proposal", "channel")
    op.drop_column("target", "channel")
