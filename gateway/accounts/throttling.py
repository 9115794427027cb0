"""Login attempt counters: per (identifier, address) pair, per address and per identifier; one row each.

An attempt is counted BEFORE its password is checked, by one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per
counter: the database applies the increments of one row one after the other, so parallel guesses each get their
own count and none slips past the limit (PostgreSQL locks the row; SQLite has a single writer). A successful
login gives its attempt back. Counters start again an hour after their first attempt.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tables import login_attempts

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class AttemptCounts:
    """This attempt's rank in the window, itself included."""

    pair: int
    address: int
    identifier: int


def _keys(identifier: str, address: str | None) -> tuple[str, str, str]:
    where = address or "-"
    return f"pair:{where}:{identifier[:100]}", f"address:{where}", f"identifier:{identifier[:100]}"


async def reserve_attempt(session: AsyncSession, identifier: str, address: str | None, now: datetime) -> AttemptCounts:
    """Count one more attempt on each counter; always in the same order, so concurrent logins cannot deadlock."""
    pair, by_address, by_identifier = _keys(identifier, address)
    return AttemptCounts(
        pair=await _increment(session, pair, now),
        address=await _increment(session, by_address, now),
        identifier=await _increment(session, by_identifier, now),
    )


async def _increment(session: AsyncSession, key: str, now: datetime) -> int:
    column_type = login_attempts.c.window_started_at.type
    stale = login_attempts.c.window_started_at < literal(now - WINDOW, column_type)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(login_attempts)
        .values(key=key, window_started_at=now, attempts=1)
        .on_conflict_do_update(
            index_elements=[login_attempts.c.key],
            set_={
                "attempts": case((stale, 1), else_=login_attempts.c.attempts + 1),
                "window_started_at": case((stale, literal(now, column_type)), else_=login_attempts.c.window_started_at),
            },
        )
        .returning(login_attempts.c.attempts)
    )
    return int((await session.execute(statement)).scalar_one())


async def release_attempt(session: AsyncSession, identifier: str, address: str | None) -> None:
    """After a successful login: the pair starts afresh; the address and identifier get this attempt back."""
    pair, by_address, by_identifier = _keys(identifier, address)
    await session.execute(delete(login_attempts).where(login_attempts.c.key == pair))
    for key in (by_address, by_identifier):
        await session.execute(
            update(login_attempts)
            .where(login_attempts.c.key == key, login_attempts.c.attempts > 0)
            .values(attempts=login_attempts.c.attempts - 1)
        )
