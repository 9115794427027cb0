"""Trusted documents registered by a Caf for an integrator

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrator_documents",
        sa.Column("integrator_id", sa.String(36), sa.ForeignKey("integrators.id"), primary_key=True),
        sa.Column("document_id", sa.String(71), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("registered_by", sa.String(40), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_integrator_documents_document_id", "integrator_documents", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_integrator_documents_document_id", "integrator_documents")
    op.drop_table("integrator_documents")
