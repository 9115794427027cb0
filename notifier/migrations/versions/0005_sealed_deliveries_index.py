"""A partial index on the deliveries still holding a sealed secret

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The worker looks for sealed secrets older than their lifetime; once erased after sending, they are few among all
the deliveries ever made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SEALED = sa.text("sealed_secret IS NOT NULL")


def upgrade() -> None:
    # Erase what earlier releases kept after sending, then index the few left (CONCURRENTLY: no table lock).
    op.execute("UPDATE deliveries SET sealed_secret = NULL WHERE status <> 'PENDING' AND sealed_secret IS NOT NULL")
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_deliveries_sealed", "deliveries", ["created_at"],
            postgresql_where=SEALED, sqlite_where=SEALED, postgresql_concurrently=True,
        )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_deliveries_sealed", table_name="deliveries")
