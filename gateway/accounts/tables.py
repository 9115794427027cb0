"""Accounts of the people who log in: provider agents (« personnes habilitées ») and Caf agents."""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table

from gateway.tables import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("identifier", String(100), nullable=False, unique=True),
    Column("agent_number", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=True),
    Column("provider_id", String(36), ForeignKey("providers.id"), nullable=True),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("function", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("status", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("password_temporary", Boolean, nullable=False),
    Column("password_expires_at", DateTime(timezone=True), nullable=True),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
    Column("deactivation_reason", String(500), nullable=True),
)
