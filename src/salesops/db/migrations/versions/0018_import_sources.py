"""issue 21: saved import sources (SQL pulls, watched folders, webhook senders), their runs,
and the webhook deliveries already applied

Revision ID: 0018_import_sources
Revises: 0017_pg_read_indexes
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_import_sources"
down_revision: str | None = "0017_pg_read_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(table: str) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id", sa.Integer(), server_default=sa.text(f"nextval('{table}_id_seq')"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "import_source",
        _id("import_source"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("mapping", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("folder", sa.String(length=1000), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("schedule", sa.String(length=100), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_source")),
        sa.UniqueConstraint("name", name=op.f("uq_import_source_name")),
    )
    op.create_table(
        "import_source_run",
        _id("import_source_run"),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_source_run")),
    )
    op.create_index(op.f("ix_import_source_run_source"), "import_source_run", ["source"])
    op.create_table(
        "webhook_delivery",
        _id("webhook_delivery"),
        sa.Column("sender", sa.String(length=100), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "sender", "delivery_id", name=op.f("uq_webhook_delivery_sender_delivery_id")
        ),
    )


def downgrade() -> None:
    for table in ("webhook_delivery", "import_source_run", "import_source"):
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
