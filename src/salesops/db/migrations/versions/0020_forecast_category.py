"""A deal's forecast category from the CRM (issue #20): commit, best case, pipeline or omitted;
computed forecasts shared between server processes (``forecast_result``)

Revision ID: 0020_forecast_category
Revises: 0017_pg_read_indexes
Create Date: 2026-12-07 15:30:00

The column is added nullable: a deal without one is put in a category by the probability
bands (``SALESOPS_FORECAST_BANDS``), as before. ``forecast_result`` keeps each computed
forecast view (landing or series, as JSON) under a digest of what it was computed from, so a
forecast one server process computed is what the others show.
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
    op.execute(sa.schema.CreateSequence(sa.Sequence("forecast_result_id_seq")))
    op.create_table(
        "forecast_result",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('forecast_result_id_seq')"),
            nullable=False,
        ),
        sa.Column("result_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_result")),
    )
    op.create_index("ix_forecast_result_result_key", "forecast_result", ["result_key"])


def downgrade() -> None:
    op.drop_index("ix_forecast_result_result_key", table_name="forecast_result")
    op.drop_table("forecast_result")
    op.execute(sa.schema.DropSequence(sa.Sequence("forecast_result_id_seq")))
    op.drop_column("opportunity", "forecast_category")
