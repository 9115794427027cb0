"""Transmission clients of software partners, their tokens, idempotency records and transmission log

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transmission_clients",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("provider_id", sa.String(36), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("establishment_ids", sa.JSON(), nullable=False),
        sa.Column("secret_digest", sa.String(64), nullable=False),
        sa.Column("granted_by", sa.String(40), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(40), nullable=True),
    )
    op.create_index("ix_transmission_clients_provider_id", "transmission_clients", ["provider_id"])
    op.create_table(
        "transmission_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(20), sa.ForeignKey("transmission_clients.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_transmission_tokens_client_id", "transmission_tokens", ["client_id"])
    op.create_table(
        "transmission_requests",
        sa.Column("client_id", sa.String(20), sa.ForeignKey("transmission_clients.id"), primary_key=True),
        sa.Column("idempotency_key", sa.String(100), primary_key=True),
        sa.Column("body_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_transmission_requests_received_at", "transmission_requests", ["received_at"])
    op.create_table(
        "transmissions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(20), sa.ForeignKey("transmission_clients.id"), nullable=False),
        sa.Column("establishment_id", sa.String(36), sa.ForeignKey("establishments.id"), nullable=False),
        sa.Column("agent_number", sa.String(40), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("transmitted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("transmissions")
    op.drop_index("ix_transmission_requests_received_at", "transmission_requests")
    op.drop_table("transmission_requests")
    op.drop_index("ix_transmission_tokens_client_id", "transmission_tokens")
    op.drop_table("transmission_tokens")
    op.drop_index("ix_transmission_clients_provider_id", "transmission_clients")
    op.drop_table("transmission_clients")
