"""Habilitation requests and on-screen challenges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("answer_digest", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.create_index("ix_challenges_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "habilitation_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("caf_code", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.JSON(), nullable=False),
        sa.Column("operating_info_establishments", sa.JSON(), nullable=False),
        sa.Column("availability_establishments", sa.JSON(), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["caf_code"],
            ["cafs.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("habilitation_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_habilitation_requests_caf_code"), ["caf_code"], unique=False)


def downgrade() -> None:
    op.drop_table("challenges")
    op.drop_table("habilitation_requests")
