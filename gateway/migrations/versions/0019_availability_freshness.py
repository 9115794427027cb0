"""Freshness by channel: the channel of an establishment's last availability update, the instant its availabilities
turn « périmées » under the automated channel's rule of three, and an index to count its recent transmissions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("availability_channel", sa.String(30), nullable=True))
        batch_op.add_column(sa.Column("availability_stale_after", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_transmissions_establishment", "transmissions", ["establishment_id", "transmitted_at"])


def downgrade() -> None:
    op.drop_index("ix_transmissions_establishment", table_name="transmissions")
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.drop_column("availability_stale_after")
        batch_op.drop_column("availability_channel")
