"""Catalogue: reference data, providers, establishments, operating information, availabilities

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cafs",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("head_office", sa.String(length=200), server_default="", nullable=False),
        sa.Column("director", sa.String(length=200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "departements",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=3), nullable=False),
        sa.Column("caf_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["caf_code"],
            ["cafs.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("departements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departements_caf_code"), ["caf_code"], unique=False)

    op.create_table(
        "communes",
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("postal_codes", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["departement"],
            ["departements.code"],
        ),
        sa.PrimaryKeyConstraint("insee"),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_communes_departement"), ["departement"], unique=False)
        batch_op.create_index(batch_op.f("ix_communes_search_name"), ["search_name"], unique=False)

    op.create_table(
        "commune_postal_codes",
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["insee"],
            ["communes.insee"],
        ),
        sa.PrimaryKeyConstraint("postal_code", "insee"),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("street", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("representative_name", sa.String(length=200), nullable=True),
        sa.Column("representative_title", sa.String(length=200), nullable=True),
        sa.Column("caf_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["caf_code"],
            ["cafs.code"],
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "establishments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("monenfant_id", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("eaje_type", sa.String(length=30), nullable=True),
        sa.Column("parental", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("occasional_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("alsh_kinds", sa.JSON(), nullable=False),
        sa.Column("avip", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("management", sa.String(length=30), nullable=True),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("street_number", sa.String(length=10), nullable=True),
        sa.Column("street_name", sa.String(length=200), nullable=True),
        sa.Column("address_complement", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone2", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("availability_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
        ),
        sa.ForeignKeyConstraint(
            ["departement"],
            ["departements.code"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("monenfant_id"),
    )
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.create_index("ix_establishments_commune", ["commune_insee", "name", "id"], unique=False)
        batch_op.create_index("ix_establishments_departement", ["departement", "name", "id"], unique=False)
        batch_op.create_index("ix_establishments_geo", ["latitude", "longitude"], unique=False)
        batch_op.create_index("ix_establishments_name", ["name", "id"], unique=False)
        batch_op.create_index("ix_establishments_postal_code", ["postal_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_establishments_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "availabilities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("establishment_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=12), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=10), nullable=True),
        sa.Column("care_kind", sa.String(length=12), nullable=False),
        sa.Column("communicated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("agent_number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("availabilities", schema=None) as batch_op:
        batch_op.create_index("ix_availabilities_establishment_day", ["establishment_id", "day"], unique=False)

    op.create_table(
        "operating_info_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("establishment_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("age_min_months", sa.Integer(), nullable=True),
        sa.Column("age_max_months", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("establishment_id", "version", name="uq_operating_info_version"),
    )
    with op.batch_alter_table("operating_info_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operating_info_published",
            ["establishment_id"],
            unique=True,
            postgresql_where=sa.text("status = 'PUBLISHED'"),
            sqlite_where=sa.text("status = 'PUBLISHED'"),
        )


def downgrade() -> None:
    for table in (
        "operating_info_versions",
        "availabilities",
        "establishments",
        "providers",
        "commune_postal_codes",
        "communes",
        "departements",
        "cafs",
    ):
        op.drop_table(table)
