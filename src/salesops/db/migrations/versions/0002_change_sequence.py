"""opportunity_change.seq and next_at: each change's rank and the time of the next change of
the same field, kept by salesops.db.derived.refresh_change_sequence

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("opportunity_change", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("opportunity_change", sa.Column("next_at", sa.DateTime(), nullable=True))
    # The same statement as salesops.db.derived.refresh_change_sequence, frozen here so that
    # this migration keeps doing what it did whatever that function becomes.
    op.execute(
        """
        UPDATE opportunity_change SET seq = w.seq, next_at = w.next_at
        FROM (
            SELECT id,
                   row_number() OVER (PARTITION BY opportunity_id, field
                                      ORDER BY changed_at, id) AS seq,
                   lead(changed_at) OVER (PARTITION BY opportunity_id, field
                                          ORDER BY changed_at, id) AS next_at
            FROM opportunity_change
        ) AS w
        WHERE opportunity_change.id = w.id
        """
    )


def downgrade() -> None:
    op.drop_column("opportunity_change", "next_at")
    op.drop_column("opportunity_change", "seq")
