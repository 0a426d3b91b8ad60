"""People and performance (issue #27): incentive plans, deal splits, closed commission
statements and their lines, scorecards with items and ratings, the coaching log and target
proposals

Revision ID: 0016_people
Revises: 0015_forecasts
Create Date: 2026-12-07 06:10:00

New tables only; nothing existing changes. Foreign keys on PostgreSQL only, as everywhere
(see ``salesops.db.schema``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_people"
down_revision: str | None = "0015_forecasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 4)
RATE = sa.Numeric(9, 4)

_TABLES = (
    "target_proposal",
    "coaching_entry",
    "rep_rating",
    "scorecard_item",
    "scorecard",
    "commission_line",
    "commission_statement",
    "deal_split",
    "incentive_plan",
)


def _id(table: str) -> sa.Column:
    op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    return sa.Column(
        "id", sa.Integer(), server_default=sa.text(f"nextval('{table}_id_seq')"), nullable=False
    )


def _fks(table: str, **refs: str) -> list[sa.ForeignKeyConstraint]:
    if op.get_bind().dialect.name != "postgresql":
        return []
    return [
        sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{table}_{col}_{target}"))
        for col, target in refs.items()
    ]


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "incentive_plan",
        _id("incentive_plan"),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        _pk("incentive_plan"),
        sa.UniqueConstraint("code", name=op.f("uq_incentive_plan_code")),
    )
    op.create_table(
        "deal_split",
        _id("deal_split"),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sa.String(length=100), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("share", RATE, nullable=False),
        _pk("deal_split"),
        sa.UniqueConstraint(
            "opportunity_id",
            "order_no",
            "rep_id",
            name=op.f("uq_deal_split_opportunity_id_order_no_rep_id"),
        ),
        *_fks("deal_split", rep_id="rep"),
    )
    op.create_table(
        "commission_statement",
        _id("commission_statement"),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        _pk("commission_statement"),
        sa.UniqueConstraint(
            "plan_id",
            "rep_id",
            "period_start",
            name=op.f("uq_commission_statement_plan_id_rep_id_period_start"),
        ),
        *_fks("commission_statement", plan_id="incentive_plan", rep_id="rep"),
    )
    op.create_table(
        "commission_line",
        _id("commission_line"),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("credit", MONEY, nullable=True),
        sa.Column("share", RATE, nullable=True),
        sa.Column("tier", sa.String(length=60), nullable=True),
        sa.Column("rate", RATE, nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        _pk("commission_line"),
        *_fks("commission_line", statement_id="commission_statement"),
    )
    op.create_table(
        "scorecard",
        _id("scorecard"),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("missing", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _pk("scorecard"),
        sa.UniqueConstraint("code", name=op.f("uq_scorecard_code")),
    )
    op.create_table(
        "scorecard_item",
        _id("scorecard_item"),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("label_zh", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=True),
        sa.Column("weight", RATE, nullable=False),
        sa.Column("scoring", sa.String(length=10), nullable=False),
        sa.Column("bands", sa.Text(), nullable=True),
        sa.Column("target_value", MONEY, nullable=True),
        _pk("scorecard_item"),
        *_fks("scorecard_item", scorecard_id="scorecard"),
    )
    op.create_table(
        "rep_rating",
        _id("rep_rating"),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("score", RATE, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=100), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        _pk("rep_rating"),
        sa.UniqueConstraint(
            "item_id",
            "rep_id",
            "period_start",
            name=op.f("uq_rep_rating_item_id_rep_id_period_start"),
        ),
        *_fks("rep_rating", item_id="scorecard_item", rep_id="rep"),
    )
    op.create_table(
        "coaching_entry",
        _id("coaching_entry"),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        _pk("coaching_entry"),
        *_fks("coaching_entry", rep_id="rep"),
    )
    op.create_index(op.f("ix_coaching_entry_rep_id"), "coaching_entry", ["rep_id"])
    op.create_table(
        "target_proposal",
        _id("target_proposal"),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("period_grain", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_value", MONEY, nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        _pk("target_proposal"),
        *_fks("target_proposal", rep_id="rep", org_unit_id="org_unit", target_id="target"),
    )


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
