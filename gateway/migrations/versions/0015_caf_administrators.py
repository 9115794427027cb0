"""Caf administrators: the Caf agents who may deactivate the Caf's agents and grant or withdraw the role

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Every existing Caf agent was made by ``structures bootstrap-caf-agent``, which now makes administrators: they
become administrators here, so each Caf keeps one who can act.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("caf_administrator", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE accounts SET caf_administrator = TRUE WHERE kind = 'CAF_AGENT'")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("caf_administrator")
