"""Habilitation requests (convention art. 3-1) and the on-screen challenges that protect public forms."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table

from gateway.tables import metadata

habilitation_requests = Table(
    "habilitation_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=False, index=True),
    Column("provider", JSON, nullable=False),
    Column("operating_info_establishments", JSON, nullable=False),
    Column("availability_establishments", JSON, nullable=False),
    Column("persons", JSON, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("purpose", String(30), nullable=False),
    Column("answer_digest", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index("ix_challenges_expires_at", "expires_at"),
)
