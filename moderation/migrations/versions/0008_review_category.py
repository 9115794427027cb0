"""Review items know their establishment's category, for the queue's filter (issue 15)

Items received before the submission event carried it keep NULL: an unknown category, matched by no filter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: adding it is instant on PostgreSQL, no table rewrite (zero-downtime upgrade).
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch_op:
        batch_op.drop_column("category")
