"""Flags and diff of review items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("flags", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("diff", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch_op:
        for column in ("diff", "flags", "published_version"):
            batch_op.drop_column(column)
