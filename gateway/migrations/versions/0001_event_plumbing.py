"""Event plumbing: outbox and processed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from shared import migration_ops

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_outbox()
    migration_ops.create_processed_events()


def downgrade() -> None:
    migration_ops.drop_outbox_and_processed_events()
