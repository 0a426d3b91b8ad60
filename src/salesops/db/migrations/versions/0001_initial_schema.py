"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:59:52.485164
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _pg_only(*constraints: sa.Constraint) -> tuple[sa.Constraint, ...]:
    """Foreign keys exist on PostgreSQL only (see db/schema.py for why)."""
    return constraints if _is_postgresql() else ()


SEQUENCES = [
    "announcement_id_seq",
    "import_run_id_seq",
    "pipeline_stage_id_seq",
    "product_id_seq",
    "region_id_seq",
    "market_size_id_seq",
    "marketing_spend_id_seq",
    "org_unit_id_seq",
    "rep_id_seq",
    "app_user_id_seq",
    "customer_id_seq",
    "target_id_seq",
    "api_token_id_seq",
    "audit_event_id_seq",
    "feedback_id_seq",
    "opportunity_id_seq",
    "order_header_id_seq",
    "payment_id_seq",
    "activity_id_seq",
    "lead_id_seq",
    "opportunity_change_id_seq",
    "order_line_id_seq",
]


def upgrade() -> None:
    for name in SEQUENCES:
        op.execute(sa.schema.CreateSequence(sa.Sequence(name)))
    op.create_table(
        "announcement",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('announcement_id_seq')"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
        sa.UniqueConstraint("external_id", name=op.f("uq_announcement_external_id")),
    )
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.create_table(
        "import_run",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('import_run_id_seq')"),
            nullable=False,
        ),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_table(
        "pipeline_stage",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('pipeline_stage_id_seq')"),
            nullable=False,
        ),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stage")),
        sa.UniqueConstraint("pipeline", "name", name=op.f("uq_pipeline_stage_pipeline_name")),
    )
    op.create_table(
        "product",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('product_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_line", sa.String(length=100), nullable=True),
        sa.Column("list_price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("external_id", name=op.f("uq_product_external_id")),
    )
    op.create_table(
        "region",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('region_id_seq')"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("name", name=op.f("uq_region_name")),
    )
    op.create_table(
        "market_size",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('market_size_id_seq')"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("product_line", sa.String(length=100), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_market_size_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_size")),
        sa.UniqueConstraint("external_id", name=op.f("uq_market_size_external_id")),
    )
    op.create_table(
        "marketing_spend",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('marketing_spend_id_seq')"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_marketing_spend_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_spend")),
        sa.UniqueConstraint("external_id", name=op.f("uq_marketing_spend_external_id")),
    )
    op.create_table(
        "org_unit",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('org_unit_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_org_unit_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("external_id", name=op.f("uq_org_unit_external_id")),
    )
    op.create_table(
        "rep",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('rep_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(["manager_id"], ["rep.id"], name=op.f("fk_rep_manager_id_rep"))
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["org_unit_id"], ["org_unit.id"], name=op.f("fk_rep_org_unit_id_org_unit")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_rep_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep")),
        sa.UniqueConstraint("external_id", name=op.f("uq_rep_external_id")),
    )
    op.create_table(
        "app_user",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('app_user_id_seq')"), nullable=False
        ),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["org_unit_id"], ["org_unit.id"], name=op.f("fk_app_user_org_unit_id_org_unit")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_app_user_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "customer",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('customer_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("size", sa.String(length=50), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("source_channel", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("credit_limit", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("first_order_on", sa.Date(), nullable=True),
        sa.Column("last_order_on", sa.Date(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(["owner_id"], ["rep.id"], name=op.f("fk_customer_owner_id_rep"))
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_customer_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("external_id", name=op.f("uq_customer_external_id")),
    )
    op.create_table(
        "target",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('target_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("product_line", sa.String(length=100), nullable=True),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["org_unit_id"], ["org_unit.id"], name=op.f("fk_target_org_unit_id_org_unit")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["parent_id"], ["target.id"], name=op.f("fk_target_parent_id_target")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_target_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_target_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
        sa.UniqueConstraint("external_id", name=op.f("uq_target_external_id")),
    )
    op.create_table(
        "api_token",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('api_token_id_seq')"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('audit_event_id_seq')"),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["user_id"], ["app_user.id"], name=op.f("fk_audit_event_user_id_app_user")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_table(
        "feedback",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('feedback_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["assignee_id"], ["rep.id"], name=op.f("fk_feedback_assignee_id_rep")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_feedback_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_feedback_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_feedback_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("external_id", name=op.f("uq_feedback_external_id")),
    )
    op.create_table(
        "opportunity",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('opportunity_id_seq')"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source_channel", sa.String(length=100), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("probability", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("expected_close_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("lost_reason", sa.String(length=300), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_opportunity_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["owner_id"], ["rep.id"], name=op.f("fk_opportunity_owner_id_rep")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["product_id"], ["product.id"], name=op.f("fk_opportunity_product_id_product")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_opportunity_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
        sa.UniqueConstraint("external_id", name=op.f("uq_opportunity_external_id")),
    )
    if _is_postgresql():
        op.create_index("ix_opportunity_closed_on", "opportunity", ["closed_on"], unique=False)
    if _is_postgresql():
        op.create_index("ix_opportunity_customer_id", "opportunity", ["customer_id"], unique=False)
    op.create_table(
        "order_header",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('order_header_id_seq')"),
            nullable=False,
        ),
        sa.Column("order_no", sa.String(length=100), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("cost", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("normal_lines", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_order_header_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_order_header_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_order_header_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_header")),
        sa.UniqueConstraint("order_no", name=op.f("uq_order_header_order_no")),
    )
    if _is_postgresql():
        op.create_index("ix_order_header_order_date", "order_header", ["order_date"], unique=False)
    op.create_table(
        "payment",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('payment_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sa.String(length=100), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.Column("paid_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_payment_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_payment_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_payment_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("external_id", name=op.f("uq_payment_external_id")),
    )
    if _is_postgresql():
        op.create_index("ix_payment_due_date", "payment", ["due_date"], unique=False)
    op.create_table(
        "activity",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('activity_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_activity_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["opportunity_id"],
                ["opportunity.id"],
                name=op.f("fk_activity_opportunity_id_opportunity"),
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_activity_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_activity_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("external_id", name=op.f("uq_activity_external_id")),
    )
    if _is_postgresql():
        op.create_index("ix_activity_occurred_at", "activity", ["occurred_at"], unique=False)
    op.create_table(
        "lead",
        sa.Column(
            "id", sa.Integer(), server_default=sa.text("nextval('lead_id_seq')"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("source_channel", sa.String(length=100), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_lead_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["opportunity_id"],
                ["opportunity.id"],
                name=op.f("fk_lead_opportunity_id_opportunity"),
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["owner_id"], ["rep.id"], name=op.f("fk_lead_owner_id_rep"))
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_lead_region_id_region")
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
        sa.UniqueConstraint("external_id", name=op.f("uq_lead_external_id")),
    )
    op.create_table(
        "opportunity_change",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('opportunity_change_id_seq')"),
            nullable=False,
        ),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.String(length=300), nullable=True),
        sa.Column("new_value", sa.String(length=300), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["opportunity_id"],
                ["opportunity.id"],
                name=op.f("fk_opportunity_change_opportunity_id_opportunity"),
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_change")),
    )
    if _is_postgresql():
        op.create_index(
            "ix_opportunity_change_opportunity_id",
            "opportunity_change",
            ["opportunity_id"],
            unique=False,
        )
    op.create_table(
        "order_line",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('order_line_id_seq')"),
            nullable=False,
        ),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sa.String(length=100), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customer.id"], name=op.f("fk_order_line_customer_id_customer")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["order_id"], ["order_header.id"], name=op.f("fk_order_line_order_id_order_header")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["product_id"], ["product.id"], name=op.f("fk_order_line_product_id_product")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(
                ["region_id"], ["region.id"], name=op.f("fk_order_line_region_id_region")
            )
        ),
        *_pg_only(
            sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_order_line_rep_id_rep"))
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line")),
        sa.UniqueConstraint("order_no", "line_no", name=op.f("uq_order_line_order_no_line_no")),
    )
    if _is_postgresql():
        op.create_index("ix_order_line_order_date", "order_line", ["order_date"], unique=False)
    if _is_postgresql():
        op.create_index("ix_order_line_order_id", "order_line", ["order_id"], unique=False)


def downgrade() -> None:
    if _is_postgresql():
        op.drop_index("ix_order_line_order_id", table_name="order_line")
    if _is_postgresql():
        op.drop_index("ix_order_line_order_date", table_name="order_line")
    op.drop_table("order_line")
    if _is_postgresql():
        op.drop_index("ix_opportunity_change_opportunity_id", table_name="opportunity_change")
    op.drop_table("opportunity_change")
    op.drop_table("lead")
    if _is_postgresql():
        op.drop_index("ix_activity_occurred_at", table_name="activity")
    op.drop_table("activity")
    if _is_postgresql():
        op.drop_index("ix_payment_due_date", table_name="payment")
    op.drop_table("payment")
    if _is_postgresql():
        op.drop_index("ix_order_header_order_date", table_name="order_header")
    op.drop_table("order_header")
    if _is_postgresql():
        op.drop_index("ix_opportunity_customer_id", table_name="opportunity")
    if _is_postgresql():
        op.drop_index("ix_opportunity_closed_on", table_name="opportunity")
    op.drop_table("opportunity")
    op.drop_table("feedback")
    op.drop_table("audit_event")
    op.drop_table("api_token")
    op.drop_table("target")
    op.drop_table("customer")
    op.drop_table("app_user")
    op.drop_table("rep")
    op.drop_table("org_unit")
    op.drop_table("marketing_spend")
    op.drop_table("market_size")
    op.drop_table("region")
    op.drop_table("product")
    op.drop_table("pipeline_stage")
    op.drop_table("import_run")
    op.drop_table("data_version")
    op.drop_table("announcement")
    for name in reversed(SEQUENCES):
        op.execute(sa.schema.DropSequence(sa.Sequence(name)))
