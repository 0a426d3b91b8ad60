"""The closed feedback loop and penetration (issue #25): who owns a feedback item besides a
rep (a user or a department), its due date and the dates of its steps, the item's history,
and target-account counts beside market sizes

Revision ID: 0013_feedback_loop
Revises: 0012_customer_360
Create Date: 2026-12-07 06:20:00

Every column is added nullable: imported feedback keeps what it had, and an item without a
due date gets its SLA from its priority when the board reads it.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013_feedback_loop"
down_revision: str | None = "0012_customer_360"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDED: dict[str, tuple[tuple[str, Any], ...]] = {
    "feedback": (
        ("assignee_user_id", sa.Integer()),
        ("assignee_department", sa.String(length=100)),
        ("due_on", sa.Date()),
        ("first_response_on", sa.Date()),
        ("informed_on", sa.Date()),
    ),
    "market_size": (
        ("industry", sa.String(length=100)),
        ("accounts", sa.Integer()),
    ),
}


def _pg_fk(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"]
        )


def upgrade() -> None:
    for table, columns in _ADDED.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True))
    _pg_fk("feedback", "assignee_user_id", "app_user")

    op.execute(sa.schema.CreateSequence(sa.Sequence("feedback_event_id_seq")))
    op.create_table(
        "feedback_event",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('feedback_event_id_seq')"),
            nullable=False,
        ),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_event")),
    )
    _pg_fk("feedback_event", "feedback_id", "feedback")


def downgrade() -> None:
    op.drop_table("feedback_event")
    op.execute(sa.schema.DropSequence(sa.Sequence("feedback_event_id_seq")))
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            op.f("fk_feedback_assignee_user_id_app_user"), "feedback", type_="foreignkey"
        )
    for table, columns in _ADDED.items():
        for name, _ in reversed(columns):
            op.drop_column(table, name)
