"""Claims, decisions and history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("agent_number", sa.String(length=40), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["review_items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_history_item_id"), ["item_id"], unique=False)

    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table("review_history")
    with op.batch_alter_table("review_items") as batch_op:
        for column in ("comment", "reasons", "decided_at", "decided_by", "claim_expires_at", "claimed_by",
                       "row_version", "flag_count"):  # fmt: skip
            batch_op.drop_column(column)
