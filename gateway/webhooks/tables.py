"""Webhook endpoints, the outbox of their deliveries (one row per endpoint and publication), the fan-out cursor."""

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, text

from gateway.tables import metadata

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("integrator_id", String(36), ForeignKey("integrators.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("filter", JSON, nullable=False),
    Column("sealed_secret", Text, nullable=False),
    Column("after_position", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("previous_sealed_secret", Text, nullable=True),
    Column("previous_until", DateTime(timezone=True), nullable=True),
)
"""``after_position``: the endpoint receives the publications after this position of the publication log.
``previous_sealed_secret``: the secret before the last rotation, which signs too until ``previous_until``."""

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("webhook_id", String(36), primary_key=True),
    Column("endpoint_id", String(36), ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(300), nullable=True),
    Index(
        "ix_webhook_deliveries_due",
        "endpoint_id",
        "next_attempt_at",
        postgresql_where=text("status = 'PENDING'"),
        sqlite_where=text("status = 'PENDING'"),
    ),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "position", unique=True),
    Index("ix_webhook_deliveries_created_at", "created_at"),
)
"""The outbox: a PENDING row is due at ``next_attempt_at``; claiming it moves that time one lease ahead, so a
dispatcher killed mid-delivery leaves it due again (re-sent with the same ``webhook_id``)."""

webhook_fanout = Table(
    "webhook_fanout",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_position", BigInteger, nullable=False),
)
"""The last position of the publication log turned into deliveries (one row, locked while fanning out)."""
