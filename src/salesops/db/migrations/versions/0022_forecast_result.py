"""Computed forecasts shared between server processes (issue #20): ``forecast_result``

Revision ID: 0022_forecast_result
Revises: 0021_channel_targets
Create Date: 2026-12-07 16:30:00

Each computed forecast view (landing or series, as JSON) is kept under a digest of what it was
computed from, so a forecast one server process computed is what the others show
(:mod:`salesops.forecast.service`). A separate revision because 0020 was already merged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_forecast_result"
down_revision: str | None = "0021_channel_targets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
