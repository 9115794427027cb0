"""The notifier database's tables: the deliveries log, which makes every e-mail go out once per event."""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, text

from shared.consumer import define_processed_events_table
from shared.revocations import define_revocations_table

metadata = MetaData()
processed_events = define_processed_events_table(metadata)
revoked_sessions = define_revocations_table(metadata)

_SEALED = text("sealed_secret IS NOT NULL")
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("sealed_secret", Text, nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("message_id", String(200), nullable=False),
    Column("correlation_id", String(64), nullable=True),
    Column("caf_code", String(10), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", "recipient", name="uq_deliveries_event_recipient"),
    # The few deliveries still holding a sealed secret, among all ever made: what the expiry sweep reads.
    Index("ix_deliveries_sealed", "created_at", postgresql_where=_SEALED, sqlite_where=_SEALED),
)
