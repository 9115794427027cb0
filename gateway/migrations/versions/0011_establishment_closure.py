"""An establishment's closure in its Caf's register: from which day, and why

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("establishments") as batch:
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closure_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("establishments") as batch:
        batch.drop_column("closure_reason")
        batch.drop_column("closed_on")
