"""Webhook endpoints of integrators, the outbox of their deliveries and the fan-out cursor

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("integrator_id", sa.String(36), sa.ForeignKey("integrators.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("after_position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_endpoints_integrator_id", "webhook_endpoints", ["integrator_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("webhook_id", sa.String(36), primary_key=True),
        sa.Column("endpoint_id", sa.String(36), sa.ForeignKey("webhook_endpoints.id"), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    pending = sa.text("status = 'PENDING'")
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["endpoint_id", "next_attempt_at"],
        postgresql_where=pending, sqlite_where=pending,
    )  # fmt: skip
    op.create_index("ix_webhook_deliveries_endpoint", "webhook_deliveries", ["endpoint_id", "position"], unique=True)
    fanout = op.create_table(
        "webhook_fanout",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
    )
    # Start after what is already logged: an endpoint receives only what is published after its registration.
    last = op.get_bind().scalar(sa.text("SELECT COALESCE(MAX(position), 0) FROM publication_log"))
    op.bulk_insert(fanout, [{"id": 1, "last_position": int(last or 0)}])


def downgrade() -> None:
    op.drop_table("webhook_fanout")
    op.drop_index("ix_webhook_deliveries_endpoint", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_endpoints_integrator_id", "webhook_endpoints")
    op.drop_table("webhook_endpoints")
