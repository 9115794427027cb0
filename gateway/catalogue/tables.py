"""The catalogue's tables in the gateway database: reference data, providers, establishments, published
operating information and availabilities."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from gateway.tables import metadata

cafs = Table(
    "cafs",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("head_office", String(200), nullable=False, server_default=""),
    Column("director", String(200), nullable=False, server_default=""),
)

departements = Table(
    "departements",
    metadata,
    Column("code", String(3), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("region", String(3), nullable=False),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=False, index=True),
)

communes = Table(
    "communes",
    metadata,
    Column("insee", String(5), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("search_name", String(200), nullable=False, index=True),
    Column("departement", String(3), ForeignKey("departements.code"), nullable=False, index=True),
    Column("population", Integer, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("postal_codes", String(200), nullable=False),
)

commune_postal_codes = Table(
    "commune_postal_codes",
    metadata,
    Column("postal_code", String(5), primary_key=True),
    Column("insee", String(5), ForeignKey("communes.insee"), primary_key=True),
)

providers = Table(
    "providers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("siret", String(14), nullable=True),
    Column("street", String(300), nullable=True),
    Column("postal_code", String(5), nullable=True),
    Column("commune_insee", String(5), ForeignKey("communes.insee"), nullable=True),
    Column("email", String(320), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("representative_name", String(200), nullable=True),
    Column("representative_title", String(200), nullable=True),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=False),
    Index(
        "ix_providers_siret",
        "siret",
        postgresql_where=text("siret IS NOT NULL"),
        sqlite_where=text("siret IS NOT NULL"),
    ),
)

establishments = Table(
    "establishments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("monenfant_id", String(20), nullable=True, unique=True),
    Column("name", String(300), nullable=False),
    Column("category", String(30), nullable=False),
    Column("eaje_type", String(30), nullable=True),
    Column("parental", Boolean, nullable=False, server_default=text("false")),
    Column("occasional_only", Boolean, nullable=False, server_default=text("false")),
    Column("alsh_kinds", JSON, nullable=False),
    Column("avip", Boolean, nullable=False, server_default=text("false")),
    Column("management", String(30), nullable=True),
    Column("provider_id", String(36), ForeignKey("providers.id"), nullable=False, index=True),
    Column("street_number", String(10), nullable=True),
    Column("street_name", String(200), nullable=True),
    Column("address_complement", String(200), nullable=True),
    Column("postal_code", String(5), nullable=False),
    Column("commune_insee", String(5), ForeignKey("communes.insee"), nullable=False),
    Column("departement", String(3), ForeignKey("departements.code"), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("phone", String(20), nullable=True),
    Column("phone2", String(20), nullable=True),
    Column("email", String(320), nullable=True),
    Column("website", String(500), nullable=True),
    Column("capacity", Integer, nullable=True),
    Column("availability_updated_at", DateTime(timezone=True), nullable=True),
    Column("availability_channel", String(30), nullable=True),
    Column("availability_stale_after", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("closure_reason", Text, nullable=True),
    Index("ix_establishments_name", "name", "id"),
    Index("ix_establishments_commune", "commune_insee", "name", "id"),
    Index("ix_establishments_departement", "departement", "name", "id"),
    Index("ix_establishments_postal_code", "postal_code"),
    Index("ix_establishments_geo", "latitude", "longitude"),
    # « near » with a category (EAJE): the page's ids and sort values from the index alone (repositories.page_query)
    Index(
        "ix_establishments_category_geo", "category", "latitude", "longitude", postgresql_include=["id", "closed_on"]
    ),
)

operating_info_versions = Table(
    "operating_info_versions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("establishment_id", String(36), ForeignKey("establishments.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("document", JSON, nullable=False),
    Column("opening_hours", Text, nullable=False),
    Column("age_min_months", Integer, nullable=True),
    Column("age_max_months", Integer, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("agent_number", String(40), nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("withdrawn_by", String(40), nullable=True),
    Column("withdrawal_reasons", JSON, nullable=True),
    Column("withdrawal_comment", Text, nullable=True),
    UniqueConstraint("establishment_id", "version", name="uq_operating_info_version"),
    Index(
        "ix_operating_info_published",
        "establishment_id",
        unique=True,
        postgresql_where=text("status = 'PUBLISHED'"),
        sqlite_where=text("status = 'PUBLISHED'"),
    ),
)

availabilities = Table(
    "availabilities",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("establishment_id", String(36), ForeignKey("establishments.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot", String(12), nullable=False),
    Column("places", Integer, nullable=False),
    Column("age_group", String(10), nullable=True),
    Column("care_kind", String(12), nullable=False),
    Column("communicated_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("agent_number", String(40), nullable=True),
    Index("ix_availabilities_establishment_day", "establishment_id", "day"),
)
