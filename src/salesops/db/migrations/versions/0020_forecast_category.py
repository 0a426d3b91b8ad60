"""A deal's forecast category from the CRM (issue #20): commit, best case, pipeline or omitted

Revision ID: 0020_forecast_category
Revises: 0017_pg_read_indexes
Create Date: 2026-12-07 15:30:00

The column is added nullable: a deal without one is put in a category by the probability
bands (``SALESOPS_FORECAST_BANDS``), as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_forecast_category"
down_revision: str | None = "0017_pg_read_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "opportunity", sa.Column("forecast_category", sa.String(length=20), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("opportunity", "forecast_category")
