"""The publication log: every public event with its cursor, in commit order, for replay and resumption

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publication_log",
        sa.Column("position", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("establishment_id", sa.String(length=36), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_publication_log_departement", "publication_log", ["departement", "position"])
    # One row: the last position given. Taking it with UPDATE … RETURNING locks it until commit, so positions are
    # gapless (a rollback gives its number back) and in commit order (the next one waits for this commit).
    counter = op.create_table(
        "publication_counter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "last_position": 0}])


def downgrade() -> None:
    op.drop_table("publication_counter")
    op.drop_index("ix_publication_log_departement", table_name="publication_log")
    op.drop_table("publication_log")
