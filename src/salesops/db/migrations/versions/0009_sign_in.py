"""Sign-in: user profile and lockout columns, server-side sessions, API token expiry and
read-only flag, wall (kiosk) links, failed sign-ins, and the client and outcome of audit events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:00:00

On PostgreSQL the audit log is made append-only in the database as well: a trigger refuses
UPDATE and DELETE on ``audit_event`` (DuckDB has no triggers; there only the application,
which never updates or deletes audit rows, keeps it so).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDED: dict[str, tuple[tuple[str, Any], ...]] = {
    "app_user": (
        ("display_name", sa.String(length=200)),
        ("locale", sa.String(length=10)),
        ("password_changed_at", sa.DateTime()),
        ("sessions_valid_after", sa.DateTime()),
        ("locked_until", sa.DateTime()),
    ),
    "api_token": (
        ("prefix", sa.String(length=20)),
        ("read_only", sa.Boolean()),
        ("created_by", sa.String(length=100)),
        ("expires_at", sa.DateTime()),
        ("revoked_at", sa.DateTime()),
    ),
    "audit_event": (
        ("client", sa.String(length=100)),
        ("outcome", sa.String(length=20)),
    ),
}


def _id(table: str, type_: type[sa.Integer] = sa.Integer) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id", type_(), server_default=sa.text(f"nextval('{table}_id_seq')"), nullable=False
    )


def _pg_fk(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"]
        )


def upgrade() -> None:
    for table, columns in _ADDED.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True))

    op.create_table(
        "user_session",
        _id("user_session"),
        sa.Column("token_hash", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    _pg_fk("user_session", "user_id", "app_user")

    op.create_table(
        "wall_link",
        _id("wall_link"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=True),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wall_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wall_link_token_hash")),
    )
    _pg_fk("wall_link", "org_unit_id", "org_unit")
    _pg_fk("wall_link", "rep_id", "rep")

    op.create_table(
        "login_failure",
        _id("login_failure", sa.BigInteger),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index(op.f("ix_login_failure_username"), "login_failure", ["username"])
    op.create_index(op.f("ix_login_failure_client"), "login_failure", ["client"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    for table in ("login_failure", "wall_link", "user_session"):
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
    for table, columns in _ADDED.items():
        for name, _ in reversed(columns):
            op.drop_column(table, name)
