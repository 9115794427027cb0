"""Integrator accounts and their API keys (only a SHA-256 of each key is kept)."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Table, Text

from gateway.tables import metadata

integrators = Table(
    "integrators",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=False, index=True),
    Column("departements", JSON, nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "integrator_api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("integrator_id", String(36), ForeignKey("integrators.id"), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(40), nullable=True),
)

documents = Table(
    "integrator_documents",
    metadata,
    Column("integrator_id", String(36), ForeignKey("integrators.id"), primary_key=True),
    Column("document_id", String(71), primary_key=True, index=True),
    Column("document", Text, nullable=False),
    Column("registered_by", String(40), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)
"""Trusted documents a Caf registered for one of its integrators (``documentId`` = ``sha256:`` + hex of the text)."""
