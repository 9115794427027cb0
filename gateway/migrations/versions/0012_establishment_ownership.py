"""Providers found by SIRET: whose establishments a habilitation request may cover

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The Caf's view of each request and each activation look up the register's provider with the request's SIRET; on
the national register (≈300,000 providers, most without a SIRET) that was a full scan. The index holds only the
providers with a SIRET.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
WITH_SIRET = sa.text("siret IS NOT NULL")


def upgrade() -> None:
    # CONCURRENTLY on PostgreSQL: requests and activations go on while the index builds (no table lock).
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_providers_siret",
            "providers",
            ["siret"],
            postgresql_where=WITH_SIRET,
            sqlite_where=WITH_SIRET,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index("ix_providers_siret", table_name="providers")
