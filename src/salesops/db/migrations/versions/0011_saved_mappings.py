"""issue 18: saved column mappings (shared by the web import page and ``salesops mappings``);
who ran an import and its first errors, kept on ``import_run`` for the data page's history

Revision ID: 0011_saved_mappings
Revises: 0010_exact_money
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_saved_mappings"
down_revision: str | None = "0010_exact_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_run", sa.Column("actor", sa.String(length=100), nullable=True))
    op.add_column("import_run", sa.Column("error_sample", sa.Text(), nullable=True))
    op.execute(sa.schema.CreateSequence(sa.Sequence("saved_mapping_id_seq")))
    op.create_table(
        "saved_mapping",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('saved_mapping_id_seq')"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_mapping")),
        sa.UniqueConstraint("name", name=op.f("uq_saved_mapping_name")),
    )


def downgrade() -> None:
    op.drop_table("saved_mapping")
    op.execute(sa.schema.DropSequence(sa.Sequence("saved_mapping_id_seq")))
    op.drop_column("import_run", "error_sample")
    op.drop_column("import_run", "actor")
