"""Partial indexes on the items still waiting for a decision

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Found by the soak: superseding an establishment's older item read every item the establishment ever had (1,500
after 15 minutes at 36 submissions/s), and the queue depth read the whole table. The pending ones are few.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
PENDING = sa.text("status = 'PENDING'")


def upgrade() -> None:
    # CONCURRENTLY on PostgreSQL: the queue keeps taking submissions while the indexes build (no table lock).
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_review_items_pending_establishment", "review_items", ["establishment_id"],
            postgresql_where=PENDING, sqlite_where=PENDING, postgresql_concurrently=True,
        )  # fmt: skip
        op.create_index(
            "ix_review_items_pending_caf", "review_items", ["caf_code", "submitted_at"],
            postgresql_where=PENDING, sqlite_where=PENDING, postgresql_concurrently=True,
        )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_review_items_pending_caf", table_name="review_items")
    op.drop_index("ix_review_items_pending_establishment", table_name="review_items")
