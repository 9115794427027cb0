"""Habilitation requests (convention art. 3-1) and the on-screen challenges that protect public forms."""

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table

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

conventions = Table(
    "conventions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), ForeignKey("habilitation_requests.id"), nullable=False, unique=True),
    Column("provider_id", String(36), ForeignKey("providers.id"), nullable=True),
    Column("caf_code", String(10), ForeignKey("cafs.code"), nullable=False, index=True),
    Column("signed_on", Date, nullable=False),
    Column("place", String(100), nullable=False),
    Column("signatories", JSON, nullable=False),
    Column("deliberation_reference", String(100), nullable=True),
    Column("deliberation_date", Date, nullable=True),
    Column("status", String(30), nullable=False),
    Column("termination_by", String(20), nullable=True),
    Column("termination_letter", String(100), nullable=True),
    Column("termination_received_on", Date, nullable=True),
    Column("termination_effective_on", Date, nullable=True),
    Column("reminded_for", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
"""The signed « convention d'habilitation informatique STRUCTURES » (art. 5: one year, tacitly renewed)."""

amendments = Table(
    "amendments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("convention_id", String(36), ForeignKey("conventions.id"), nullable=False, index=True),
    Column("signed_on", Date, nullable=False),
    Column("subject", String(500), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("changes", JSON, nullable=True),
)
"""« Avenants »: every change of agents or rights after activation goes through one; ``changes`` says what it
changed, in French (null for those recorded before it was kept)."""

request_events = Table(
    "habilitation_request_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), ForeignKey("habilitation_requests.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("agent_number", String(40), nullable=True),
    Column("note", String(1000), nullable=True),
)
