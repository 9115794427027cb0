"""« Near » by category: an index on (category, latitude, longitude) carrying id and closed_on, so that choosing a
page of EAJE near a point reads the index alone instead of every establishment of the bounding box

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_establishments_category_geo",
        "establishments",
        ["category", "latitude", "longitude"],
        postgresql_include=["id", "closed_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_establishments_category_geo", table_name="establishments")
