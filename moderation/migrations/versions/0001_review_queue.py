"""Event plumbing and the review queue.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migration_ops

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_outbox()
    migration_ops.create_processed_events()
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("submission_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("establishment_id", sa.String(36), nullable=False),
        sa.Column("establishment_name", sa.String(300), nullable=False),
        sa.Column("provider_id", sa.String(36), nullable=False),
        sa.Column("caf_code", sa.String(40), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("based_on_version", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_items_establishment_id", "review_items", ["establishment_id"])
    op.create_index("ix_review_items_caf_code", "review_items", ["caf_code"])


def downgrade() -> None:
    op.drop_table("review_items")
    migration_ops.drop_outbox_and_processed_events()
