"""The publication log (every public event with its cursor) and the counter giving the cursors."""

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, String, Table

from gateway.tables import metadata

publication_log = Table(
    "publication_log",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("establishment_id", String(36), nullable=False),
    Column("departement", String(3), nullable=False),
    Column("commune_insee", String(5), nullable=False),
    Column("category", String(30), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("source", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_publication_log_departement", "departement", "position"),
)

publication_counter = Table(
    "publication_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_position", BigInteger, nullable=False),
)
