"""Revoked sessions and deactivated accounts, as the gateway announces them: their tokens are refused at once

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_revoked_sessions_account_id", "revoked_sessions", ["account_id"])
    op.create_index("ix_revoked_sessions_revoked_at", "revoked_sessions", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_sessions_revoked_at", table_name="revoked_sessions")
    op.drop_index("ix_revoked_sessions_account_id", table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
