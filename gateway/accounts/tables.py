"""Accounts of the people who log in: provider agents (« personnes habilitées ») and Caf agents."""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, false

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
    Column("pending_password_digest", String(64), nullable=True),
    Column("pending_password_expires_at", DateTime(timezone=True), nullable=True),
    Column("caf_administrator", Boolean, nullable=False, server_default=false()),
)
"""``pending_password_*``: a reset's generated password, valid beside the current one until first used."""

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("family_id", String(36), nullable=False, index=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

connection_log = Table(
    "connection_log",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=True, index=True),
    Column("identifier", String(100), nullable=False, index=True),
    Column("event", String(30), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("address", String(64), nullable=True, index=True),
    Column("user_agent", String(300), nullable=True),
)
"""Every login, failure, logout, password change and reset (« contrôle des connexions », convention art. 3)."""

account_rights = Table(
    "account_rights",
    metadata,
    Column("account_id", String(36), ForeignKey("accounts.id"), primary_key=True),
    Column("establishment_id", String(36), ForeignKey("establishments.id"), primary_key=True),
    Column("right", String(20), primary_key=True),
)
"""What a provider agent may do, establishment by establishment: OPERATING_INFO, AVAILABILITY (EAJE only)."""

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
)
"""Unsuccessful login attempts in the current hour, per (identifier, address) pair, per address, per identifier."""
