"""A Caf's withdrawal of published operating information: who, when, why

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operating_info_versions") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("withdrawal_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("withdrawal_comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operating_info_versions") as batch:
        for column in ("withdrawal_comment", "withdrawal_reasons", "withdrawn_by", "withdrawn_at"):
            batch.drop_column(column)
