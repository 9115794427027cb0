"""Use cases of a provider agent (or its Caf) on transmission clients: grant, rotate the secret, revoke, list; and
what the token endpoint (RFC 6749 §4.4) and the transmission endpoint read and write of clients and tokens."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.transmission import credentials
from gateway.transmission.credentials import NewCredentials
from gateway.transmission.tables import transmission_clients, transmission_tokens


@dataclass(frozen=True)
class TransmissionClient:
    id: str
    provider_id: str
    establishment_ids: frozenset[str]
    granted_by: str
    """The delegating agent's number (art. 3-4), recorded with each transmission."""


@dataclass(frozen=True)
class GrantedClient:
    """A client as its provider and Caf see it in the list: never its secret."""

    id: str
    name: str
    provider_id: str
    establishment_ids: list[str]
    granted_by: str
    granted_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


async def grant_client(
    session: AsyncSession,
    *,
    name: str,
    provider_id: str,
    establishment_ids: Sequence[str],
    agent_number: str,
    now: datetime,
) -> NewCredentials:
    found = NewCredentials(credentials.new_client_id(), credentials.new_secret())
    await session.execute(
        transmission_clients.insert().values(
            id=found.client_id,
            name=name,
            provider_id=provider_id,
            establishment_ids=sorted(set(establishment_ids)),
            secret_digest=credentials.digest(found.secret),
            granted_by=agent_number,
            granted_at=now,
        )
    )
    return found


async def rotate_secret(session: AsyncSession, client_id: str, *, now: datetime) -> NewCredentials | None:
    """A new secret, shown once; the old one stops working at once (and so do the tokens it obtained)."""
    secret = credentials.new_secret()
    changed = await session.execute(
        update(transmission_clients)
        .where(transmission_clients.c.id == client_id, transmission_clients.c.revoked_at.is_(None))
        .values(secret_digest=credentials.digest(secret), rotated_at=now)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        return None
    await session.execute(transmission_tokens.delete().where(transmission_tokens.c.client_id == client_id))
    return NewCredentials(client_id, secret)


async def revoke_client(session: AsyncSession, client_id: str, *, agent_number: str, now: datetime) -> bool:
    changed = await session.execute(
        update(transmission_clients)
        .where(transmission_clients.c.id == client_id, transmission_clients.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=agent_number)
    )
    await session.execute(transmission_tokens.delete().where(transmission_tokens.c.client_id == client_id))
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def get_secret_digest(session: AsyncSession, client_id: str) -> str | None:
    """The digest of a live client's current secret, its row locked until the transaction ends: a rotation or a
    revocation waits for the token being issued, then removes it with the others."""
    found = await session.scalar(
        select(transmission_clients.c.secret_digest)
        .where(transmission_clients.c.id == client_id, transmission_clients.c.revoked_at.is_(None))
        .with_for_update()
    )
    return None if found is None else str(found)


async def add_token(session: AsyncSession, client_id: str, token: str, *, now: datetime) -> None:
    """Keep a token issued to the client (its SHA-256 and expiry); drop the expired ones."""
    expires_at = now + timedelta(seconds=credentials.TOKEN_LIFETIME_SECONDS)
    await session.execute(
        transmission_tokens.insert().values(
            digest=credentials.digest(token), client_id=client_id, expires_at=expires_at
        )
    )
    await session.execute(transmission_tokens.delete().where(transmission_tokens.c.expires_at < now))


async def client_of_token(session: AsyncSession, token: str, *, now: datetime) -> TransmissionClient | None:
    row = (
        await session.execute(
            select(transmission_clients)
            .join(transmission_tokens, transmission_tokens.c.client_id == transmission_clients.c.id)
            .where(
                transmission_tokens.c.digest == credentials.digest(token),
                transmission_tokens.c.expires_at > now,
                transmission_clients.c.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    return TransmissionClient(row.id, row.provider_id, frozenset(row.establishment_ids), row.granted_by)


async def provider_of_client(session: AsyncSession, client_id: str) -> str | None:
    found = await session.scalar(
        select(transmission_clients.c.provider_id).where(transmission_clients.c.id == client_id)
    )
    return None if found is None else str(found)


async def list_clients(
    session: AsyncSession, providers: Select[tuple[str]] | Sequence[str], *, only: str | None = None, limit: int
) -> list[GrantedClient]:
    """The clients granted for these providers (a list or a query of ids; of ``only`` among them when given), live
    ones first, newest first, ``limit`` at most."""
    c = transmission_clients.c
    query = (
        select(c.id, c.name, c.provider_id, c.establishment_ids, c.granted_by, c.granted_at, c.rotated_at, c.revoked_at)
        .where(c.provider_id.in_(providers))
        .order_by(c.revoked_at.is_not(None), c.granted_at.desc(), c.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(c.provider_id == only)
    rows = await session.execute(query)
    return [GrantedClient(*row) for row in rows]
