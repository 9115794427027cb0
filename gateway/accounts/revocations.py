"""Ending sessions, and telling the other services at once (architecture §4).

The gateway checks its own sessions on every request; moderation and the notifier only verify the token's
signature, so each revocation is staged as ``SessionsRevoked`` (one per session) in the same transaction: they
refuse the session's tokens as soon as the event reaches them, not when the tokens expire.
"""

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.states import RevocationReason
from gateway.accounts.tables import refresh_tokens
from gateway.tables import outbox
from shared.events import SessionsRevoked, new_event
from shared.outbox import add_event

SOURCE = "/structures/gateway"


async def revoke_account_sessions(
    session: AsyncSession, account_id: str, now: datetime, reason: RevocationReason
) -> None:
    """End every open session of the account (password change or reset, deactivation)."""
    families = (
        await session.scalars(
            select(refresh_tokens.c.family_id)
            .where(refresh_tokens.c.account_id == account_id, refresh_tokens.c.revoked_at.is_(None))
            .distinct()
        )
    ).all()
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.account_id == account_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    for family_id in sorted(families):
        await announce_revoked(session, account_id, family_id, reason, now)


async def announce_revoked(
    session: AsyncSession, account_id: str, session_id: str | None, reason: RevocationReason, now: datetime
) -> None:
    """Stage the event that makes moderation and the notifier refuse this session's (or account's) tokens."""
    revoked = SessionsRevoked(
        account_id=uuid.UUID(account_id),
        session_id=session_id,
        reason=reason.value,
        revoked_at=now,
    )
    await add_event(session, outbox, new_event(revoked, source=SOURCE))
