"""Transmission clients (delegated by a provider), their tokens, idempotency records and transmission log."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from gateway.tables import metadata

transmission_clients = Table(
    "transmission_clients",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("provider_id", String(36), ForeignKey("providers.id"), nullable=False, index=True),
    Column("establishment_ids", JSON, nullable=False),
    Column("secret_digest", String(64), nullable=False),
    Column("granted_by", String(40), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(40), nullable=True),
)

transmission_tokens = Table(
    "transmission_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("client_id", String(20), ForeignKey("transmission_clients.id"), nullable=False, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

transmission_requests = Table(
    "transmission_requests",
    metadata,
    Column("client_id", String(20), ForeignKey("transmission_clients.id"), primary_key=True),
    Column("idempotency_key", String(100), primary_key=True),
    Column("body_digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)

transmissions = Table(
    "transmissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(20), ForeignKey("transmission_clients.id"), nullable=False),
    Column("establishment_id", String(36), ForeignKey("establishments.id"), nullable=False),
    Column("agent_number", String(40), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("transmitted_at", DateTime(timezone=True), nullable=False),
    Index("ix_transmissions_establishment", "establishment_id", "transmitted_at"),
)
