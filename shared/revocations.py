"""Revoked sessions as the services that verify access tokens know them (architecture §4).

The gateway alone holds sessions; it stages ``SessionsRevoked`` (logout, password change or reset, a replayed
refresh token) and ``AgentDeactivated`` on ``structures.accounts.v1``. Moderation and the notifier record them here,
in their own database, and refuse a token whose session or account is listed. A row is needed only while a token
issued before it can still be valid, so rows older than the services' ``revocations_kept_minutes`` are pruned.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import SessionFactory
from shared.events import AgentDeactivated, Envelope, SessionsRevoked
from shared.tokens import Claims


def define_revocations_table(metadata: MetaData) -> Table:
    """The ``revoked_sessions`` table of a service: one row per revocation event (its id is the key)."""
    return Table(
        "revoked_sessions",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("account_id", String(36), nullable=False, index=True),
        Column("session_id", String(64), nullable=True),  # null: every session of the account (a deactivation)
        Column("revoked_at", DateTime(timezone=True), nullable=False, index=True),
    )


async def record_revocation(session: AsyncSession, table: Table, event: Envelope, kept: timedelta) -> None:
    """Record a ``SessionsRevoked`` or ``AgentDeactivated`` event, and forget the rows no token can outlive."""
    data = event.data
    if isinstance(data, SessionsRevoked):
        session_id, revoked_at = data.session_id, data.revoked_at
    elif isinstance(data, AgentDeactivated):
        session_id, revoked_at = None, data.deactivated_at
    else:
        raise TypeError(f"not a revocation: {event.type}")
    now = datetime.now(UTC)
    await session.execute(delete(table).where(table.c.revoked_at < now - kept))
    if revoked_at < now - kept:
        return  # every token it could stop has expired already
    await session.execute(
        table.insert().values(
            event_id=event.id, account_id=str(data.account_id), session_id=session_id, revoked_at=revoked_at
        )
    )


async def is_revoked(sessions: SessionFactory, table: Table, claims: Claims) -> bool:
    """Whether the token's session ended, or its account was deactivated."""
    query = select(table.c.event_id).where(
        table.c.account_id == claims.account_id,
        or_(table.c.session_id.is_(None), table.c.session_id == claims.session_id),
    )
    async with sessions() as session:
        return await session.scalar(query.limit(1)) is not None
