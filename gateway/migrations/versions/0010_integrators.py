"""Integrator accounts and their API keys (hashed, revocable, last use)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrators",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("caf_code", sa.String(length=10), sa.ForeignKey("cafs.code"), nullable=False),
        sa.Column("departements", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_integrators_caf_code", "integrators", ["caf_code"])
    op.create_table(
        "integrator_api_keys",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("integrator_id", sa.String(length=36), sa.ForeignKey("integrators.id"), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=40), nullable=True),
    )
    op.create_index("ix_integrator_api_keys_integrator_id", "integrator_api_keys", ["integrator_id"])


def downgrade() -> None:
    op.drop_index("ix_integrator_api_keys_integrator_id", table_name="integrator_api_keys")
    op.drop_table("integrator_api_keys")
    op.drop_index("ix_integrators_caf_code", table_name="integrators")
    op.drop_table("integrators")
