"""The moderation database's tables (owned by the moderation service alone)."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, text

from shared.consumer import define_processed_events_table
from shared.outbox import define_outbox_table
from shared.revocations import define_revocations_table

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed_events = define_processed_events_table(metadata)
revoked_sessions = define_revocations_table(metadata)

_PENDING = text("status = 'PENDING'")
review_items = Table(
    "review_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("submission_id", String(36), nullable=False, unique=True),
    Column("event_id", String(64), nullable=False),
    Column("establishment_id", String(36), nullable=False, index=True),
    Column("establishment_name", String(300), nullable=False),
    Column("provider_id", String(36), nullable=False),
    Column("caf_code", String(40), nullable=False, index=True),
    Column("departement", String(3), nullable=False),
    Column("category", String(40), nullable=True),  # NULL: received before the submission event carried it
    Column("version", Integer, nullable=False),
    Column("based_on_version", Integer, nullable=True),
    Column("submitted_by", JSON, nullable=False),
    Column("document", JSON, nullable=False),
    Column("published_version", Integer, nullable=True),
    Column("flags", JSON, nullable=False, server_default="[]"),
    Column("diff", JSON, nullable=False, server_default="[]"),
    Column("status", String(20), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("flag_count", Integer, nullable=False, server_default="0"),
    Column("row_version", Integer, nullable=False, server_default="1"),
    Column("claimed_by", String(40), nullable=True),
    Column("claim_expires_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(40), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("reasons", JSON, nullable=True),
    Column("comment", Text, nullable=True),
    Column("correlation_id", String(64), nullable=True),  # the submission's: its decision carries it on
    # The items waiting for a decision are few among all the items ever received: these serve superseding, the
    # Caf's queue and its depth without reading the history.
    Index(
        "ix_review_items_pending_establishment", "establishment_id", postgresql_where=_PENDING, sqlite_where=_PENDING
    ),
    Index("ix_review_items_pending_caf", "caf_code", "submitted_at", postgresql_where=_PENDING, sqlite_where=_PENDING),
)

check_cases = Table(
    "check_cases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item_id", String(36), ForeignKey("review_items.id"), nullable=False, index=True),
    Column("caf_code", String(40), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),
    Column("category", String(60), nullable=False),
    Column("rule", String(80), nullable=True),
    Column("field", String(200), nullable=True),
    Column("excerpt", Text, nullable=False),
    Column("decided_by", String(40), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, index=True),
)
"""What moderators' decisions teach the art. 2 checks: flags confirmed or contradicted, reasons no flag predicted."""

review_history = Table(
    "review_history",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item_id", String(36), ForeignKey("review_items.id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("agent_number", String(40), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=True),
)
"""Each item's story: CREATED, CLAIMED, RELEASED, APPROVED, REJECTED, SUPERSEDED — when and by whom."""
