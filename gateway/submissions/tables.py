"""Operating-information submissions waiting for, or having had, a Caf moderator's decision."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from gateway.tables import metadata

submissions = Table(
    "operating_info_submissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("establishment_id", String(36), ForeignKey("establishments.id"), nullable=False),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("agent_number", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("version", Integer, nullable=False),
    Column("based_on_version", Integer, nullable=True),
    Column("document", JSON, nullable=False),
    Column("idempotency_key", String(100), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("reasons", JSON, nullable=True),
    Column("comment", Text, nullable=True),
    UniqueConstraint("account_id", "idempotency_key", name="uq_submission_idempotency"),
    Index(
        "ix_submissions_pending",
        "establishment_id",
        unique=True,
        postgresql_where=text("status = 'PENDING'"),
        sqlite_where=text("status = 'PENDING'"),
    ),
)
"""At most one PENDING submission per establishment: a newer one supersedes the older (SUPERSEDED)."""
