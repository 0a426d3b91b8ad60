"""opportunity_month_end copies the opportunity's columns without history (current owner,
customer, product, region, pipeline, source, created, competitor, lost reason), so a stock by
month reads it without joining every opportunity

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 04:00:00

The table is derived data whose rows are computed by the metrics code, which a migration
must not import: the columns are added here, and ``salesops.db.migrate`` then rewrites the
month ends once the schema is there (every writer keeps them exact from then on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("owner_id", sa.Integer()),
    ("customer_id", sa.Integer()),
    ("product_id", sa.Integer()),
    ("region_id", sa.Integer()),
    ("pipeline", sa.String(length=100)),
    ("source_channel", sa.String(length=100)),
    ("created_on", sa.Date()),
    ("competitor", sa.String(length=200)),
    ("lost_reason", sa.String(length=300)),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("opportunity_month_end", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_COLUMNS):
        op.drop_column("opportunity_month_end", name)
