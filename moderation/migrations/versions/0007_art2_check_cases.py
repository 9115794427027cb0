"""Art. 2 check cases: what moderators' decisions teach the automated checks (issue 17)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("caf_code", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["review_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_cases_item_id", "check_cases", ["item_id"])
    op.create_index("ix_check_cases_caf_code", "check_cases", ["caf_code"])
    op.create_index("ix_check_cases_decided_at", "check_cases", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_check_cases_decided_at", table_name="check_cases")
    op.drop_index("ix_check_cases_caf_code", table_name="check_cases")
    op.drop_index("ix_check_cases_item_id", table_name="check_cases")
    op.drop_table("check_cases")
