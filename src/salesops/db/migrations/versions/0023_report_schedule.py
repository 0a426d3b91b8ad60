"""Reviews kept and delivered on a schedule (issue #26): ``report_archive``, ``report_file``,
``report_schedule``, ``report_delivery``, ``report_delivery_log``

Revision ID: 0023_report_schedule
Revises: 0022_forecast_result
Create Date: 2026-12-07 19:00:00

A generated review can be kept (its files base64 in ``report_file``, so the backup package
archives them like any table) and delivered on a cron line to the alert channels through the
outbox's delivery (:mod:`salesops.reports.schedules`). No foreign keys: the schema declares
none on these tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_report_schedule"
down_revision: str | None = "0022_forecast_result"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("report_archive", "report_file", "report_schedule", "report_delivery")


def _id(table: str, big: bool = False) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id",
        sa.BigInteger() if big else sa.Integer(),
        server_default=sa.text(f"nextval('{table}_id_seq')"),
        nullable=False,
    )


def _scope() -> list[sa.Column]:
    return [
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("scope_name", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "report_archive",
        _id("report_archive"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        *_scope(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("generated_by", sa.String(length=100), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_archive")),
        sa.UniqueConstraint(
            "schedule_id", "due_at", name=op.f("uq_report_archive_schedule_id_due_at")
        ),
    )
    op.create_index(op.f("ix_report_archive_created_at"), "report_archive", ["created_at"])
    op.create_table(
        "report_file",
        _id("report_file"),
        sa.Column("archive_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_file")),
    )
    op.create_index(op.f("ix_report_file_archive_id"), "report_file", ["archive_id"])
    op.create_table(
        "report_schedule",
        _id("report_schedule"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        *_scope(),
        sa.Column("formats", sa.String(length=50), nullable=False),
        sa.Column("fiscal", sa.Boolean(), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(), nullable=False),
        sa.Column("running_due_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedule")),
        sa.UniqueConstraint("name", name=op.f("uq_report_schedule_name")),
    )
    op.create_table(
        "report_delivery",
        _id("report_delivery"),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("archive_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_delivery")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_report_delivery_dedup_key")),
    )
    op.create_index(op.f("ix_report_delivery_archive_id"), "report_delivery", ["archive_id"])
    op.create_table(
        "report_delivery_log",
        _id("report_delivery_log", big=True),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_delivery_log")),
    )
    op.create_index(
        op.f("ix_report_delivery_log_delivery_id"), "report_delivery_log", ["delivery_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_delivery_log_delivery_id"), table_name="report_delivery_log")
    op.drop_table("report_delivery_log")
    op.drop_index(op.f("ix_report_delivery_archive_id"), table_name="report_delivery")
    op.drop_table("report_delivery")
    op.drop_table("report_schedule")
    op.drop_index(op.f("ix_report_file_archive_id"), table_name="report_file")
    op.drop_table("report_file")
    op.drop_index(op.f("ix_report_archive_created_at"), table_name="report_archive")
    op.drop_table("report_archive")
    for table in (*TABLES, "report_delivery_log"):
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
