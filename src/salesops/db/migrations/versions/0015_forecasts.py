"""Forecasts (issue #20): frozen system forecasts and forecast calls

Revision ID: 0015_forecasts
Revises: 0014_alerts
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_forecasts"
down_revision: str | None = "0014_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 4)


def _id(table: str) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id", sa.Integer(), server_default=sa.text(f"nextval('{table}_id_seq')"), nullable=False
    )


def _pg_fk(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"]
        )


def upgrade() -> None:
    op.create_table(
        "forecast_snapshot",
        _id("forecast_snapshot"),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("series_key", sa.String(length=300), nullable=False),
        sa.Column("expected", sa.Double(), nullable=False),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("made_by", sa.String(length=100), nullable=True),
        sa.Column("actual", sa.Double(), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_snapshot")),
    )
    _pg_fk("forecast_snapshot", "org_unit_id", "org_unit")
    _pg_fk("forecast_snapshot", "rep_id", "rep")

    op.create_table(
        "forecast_call",
        _id("forecast_call"),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("commit_amount", MONEY, nullable=False),
        sa.Column("best_case_amount", MONEY, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("made_by", sa.String(length=100), nullable=True),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("actual", MONEY, nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_call")),
    )
    _pg_fk("forecast_call", "rep_id", "rep")
    _pg_fk("forecast_call", "org_unit_id", "org_unit")
    _pg_fk("forecast_call", "user_id", "app_user")


def downgrade() -> None:
    for table in ("forecast_call", "forecast_snapshot"):
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
