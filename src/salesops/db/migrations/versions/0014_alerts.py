"""Alerts (issue #19): rules, fired alerts, items already alerted on, channels (sealed
secrets), subscriptions, the delivery outbox and its log, and the runner's run log

Revision ID: 0014_alerts
Revises: 0013_feedback_loop
Create Date: 2026-12-07 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_alerts"
down_revision: str | None = "0013_feedback_loop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "alert_rule",
    "alert",
    "alert_item_seen",
    "alert_channel",
    "alert_subscription",
    "alert_delivery",
    "alert_delivery_log",
    "alert_run",
)


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
    op.create_table(
        "alert_rule",
        _id("alert_rule"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("quiet_hours", sa.String(length=20), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("last_due_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rule_name")),
    )
    _pg_fk("alert_rule", "org_unit_id", "org_unit")
    _pg_fk("alert_rule", "rep_id", "rep")
    op.create_table(
        "alert",
        _id("alert"),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=400), nullable=False),
        sa.Column("period", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("baseline", sa.Double(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alert_dedup_key")),
    )
    op.create_index(op.f("ix_alert_rule_id"), "alert", ["rule_id"])
    op.create_index(op.f("ix_alert_fired_at"), "alert", ["fired_at"])
    _pg_fk("alert", "org_unit_id", "org_unit")
    _pg_fk("alert", "rep_id", "rep")
    _pg_fk("alert", "rule_id", "alert_rule")
    op.create_table(
        "alert_item_seen",
        _id("alert_item_seen", sa.BigInteger),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_item_seen")),
        sa.UniqueConstraint(
            "rule_id", "item_key", name=op.f("uq_alert_item_seen_rule_id_item_key")
        ),
    )
    _pg_fk("alert_item_seen", "rule_id", "alert_rule")
    op.create_table(
        "alert_channel",
        _id("alert_channel"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("hint", sa.String(length=200), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channel")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channel_name")),
    )
    op.create_table(
        "alert_subscription",
        _id("alert_subscription"),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("min_severity", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscription")),
    )
    _pg_fk("alert_subscription", "channel_id", "alert_channel")
    _pg_fk("alert_subscription", "org_unit_id", "org_unit")
    _pg_fk("alert_subscription", "user_id", "app_user")
    op.create_table(
        "alert_delivery",
        _id("alert_delivery"),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alert_delivery_dedup_key")),
    )
    op.create_index(op.f("ix_alert_delivery_alert_id"), "alert_delivery", ["alert_id"])
    _pg_fk("alert_delivery", "alert_id", "alert")
    _pg_fk("alert_delivery", "channel_id", "alert_channel")
    op.create_table(
        "alert_delivery_log",
        _id("alert_delivery_log", sa.BigInteger),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery_log")),
    )
    op.create_index(
        op.f("ix_alert_delivery_log_delivery_id"), "alert_delivery_log", ["delivery_id"]
    )
    op.create_table(
        "alert_run",
        _id("alert_run"),
        sa.Column("runner", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rules_evaluated", sa.Integer(), nullable=False),
        sa.Column("alerts_fired", sa.Integer(), nullable=False),
        sa.Column("messages_sent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_run")),
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
