"""Webhook secrets rotated with an overlap (the previous one signs too until a date); finished deliveries purged

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("previous_sealed_secret", sa.Text(), nullable=True))
    op.add_column("webhook_endpoints", sa.Column("previous_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_webhook_deliveries_created_at", "webhook_deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_created_at", "webhook_deliveries")
    op.drop_column("webhook_endpoints", "previous_until")
    op.drop_column("webhook_endpoints", "previous_sealed_secret")
