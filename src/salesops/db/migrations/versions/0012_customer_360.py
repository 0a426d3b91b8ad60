"""Customer 360 (issue #28): follow-up tasks, task rule settings and the customer ownership
history

Revision ID: 0012_customer_360
Revises: 0011_saved_mappings
Create Date: 2026-12-07 06:00:00

``task`` is the product's one task model (manual, rule, review and alert tasks); the unique
(source, source_ref) pair makes a rule run idempotent. ``customer_owner_history`` keeps who
owned a customer when. Foreign keys on PostgreSQL only, as everywhere (see the schema).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_customer_360"
down_revision: str | None = "0011_saved_mappings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("task", "customer_owner_history")


def _id(table: str) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id", sa.Integer(), server_default=sa.text(f"nextval('{table}_id_seq')"), nullable=False
    )


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _pg_fk(table: str, column: str, target: str) -> None:
    if _pg():
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"]
        )


def upgrade() -> None:
    op.create_table(
        "customer_owner_history",
        _id("customer_owner_history"),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_owner_history")),
    )
    _pg_fk("customer_owner_history", "customer_id", "customer")
    _pg_fk("customer_owner_history", "rep_id", "rep")
    _pg_fk("customer_owner_history", "changed_by_id", "app_user")

    op.create_table(
        "task",
        _id("task"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("owner_rep_id", sa.Integer(), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint("source", "source_ref", name=op.f("uq_task_source_source_ref")),
    )
    _pg_fk("task", "customer_id", "customer")
    _pg_fk("task", "opportunity_id", "opportunity")
    _pg_fk("task", "owner_rep_id", "rep")
    _pg_fk("task", "owner_user_id", "app_user")

    op.create_table(
        "task_rule",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_task_rule")),
    )

    if _pg():
        for table, column in (
            ("order_header", "customer_id"),
            ("payment", "customer_id"),
            ("activity", "customer_id"),
            ("task", "customer_id"),
            ("customer_owner_history", "customer_id"),
        ):
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    if _pg():
        for table in ("order_header", "payment", "activity"):
            op.drop_index(f"ix_{table}_customer_id", table_name=table)
    op.drop_table("task_rule")
    for table in _TABLES:
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
