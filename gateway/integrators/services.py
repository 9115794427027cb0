"""Integrator accounts, managed by the Caf agents of a territory, and API-key authentication."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.repositories import get_caf_departements
from gateway.integrators.keys import NewKey, key_id_of, matches, new_key
from gateway.integrators.tables import api_keys, documents, integrators
from gateway.user_errors import UserError

LAST_USED_PRECISION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key (not once per request)."""


@dataclass(frozen=True)
class Integrator:
    """Who is calling with an API key, and the départements it may read."""

    id: str
    key_id: str
    name: str
    departements: frozenset[str]


@dataclass(frozen=True)
class NewIntegrator:
    name: str
    contact_email: str
    departements: list[str]


async def create_integrator(
    session: AsyncSession, request: NewIntegrator, *, caf_code: str, agent_number: str, now: datetime
) -> tuple[str, NewKey] | list[UserError]:
    """A new integrator of this Caf, scoped to some of its départements, with its first key."""
    errors = []
    if not request.name.strip() or len(request.name) > 200:
        errors.append(UserError("name", "INVALID", "Le nom est obligatoire (200 caractères au plus)."))
    if "@" not in request.contact_email or len(request.contact_email) > 254:
        errors.append(UserError("contactEmail", "INVALID", "Adresse électronique de contact invalide."))
    territory = set((await get_caf_departements(session, [caf_code])).get(caf_code, []))
    outside = sorted(set(request.departements) - territory)
    if not request.departements or outside:
        message = f"Hors du territoire de votre Caf : {', '.join(outside)}." if outside else "Au moins un département."
        errors.append(UserError("departements", "OUTSIDE_TERRITORY" if outside else "REQUIRED", message))
    if errors:
        return errors
    integrator_id = str(uuid.uuid4())
    await session.execute(
        integrators.insert().values(
            id=integrator_id, name=request.name.strip(), contact_email=request.contact_email.strip(), caf_code=caf_code,
            departements=sorted(set(request.departements)), created_by=agent_number, created_at=now,
        )
    )  # fmt: skip
    return integrator_id, await issue_key(session, integrator_id, agent_number=agent_number, now=now)


async def owned_integrator(session: AsyncSession, integrator_id: str, caf_code: str) -> Any:
    """The integrator if it belongs to this Caf, else None (another Caf's is « not found »)."""
    query = select(integrators).where(integrators.c.id == integrator_id, integrators.c.caf_code == caf_code)
    return (await session.execute(query)).first()


async def issue_key(session: AsyncSession, integrator_id: str, *, agent_number: str, now: datetime) -> NewKey:
    key = new_key()
    await session.execute(
        api_keys.insert().values(
            id=key.id, integrator_id=integrator_id, secret_hash=key.hash, created_by=agent_number, created_at=now
        )
    )
    return key


async def revoke_key(session: AsyncSession, key_id: str, *, caf_code: str, agent_number: str, now: datetime) -> bool:
    """Revoke a key of one of this Caf's integrators; False when there is no such key (or it is another Caf's)."""
    owned = select(integrators.c.id).where(integrators.c.caf_code == caf_code)
    result = await session.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.integrator_id.in_(owned), api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=agent_number)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def authenticate(session: AsyncSession, presented: str, now: datetime) -> Integrator | None:
    """The integrator behind a valid, unrevoked key (its last use noted), or None."""
    key_id = key_id_of(presented)
    if key_id is None:
        return None
    row = (
        await session.execute(
            select(api_keys, integrators.c.name, integrators.c.departements)
            .join(integrators, integrators.c.id == api_keys.c.integrator_id)
            .where(api_keys.c.id == key_id)
        )
    ).first()
    if row is None or row.revoked_at is not None or not matches(presented, row.secret_hash):
        return None
    last = row.last_used_at
    if last is None or (last.replace(tzinfo=now.tzinfo) if last.tzinfo is None else last) < now - LAST_USED_PRECISION:
        await session.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))
    return Integrator(row.integrator_id, key_id, row.name, frozenset(row.departements))


async def list_integrators(
    session: AsyncSession, caf_code: str, *, offset: int = 0, limit: int
) -> list[tuple[Any, list[Any]]]:
    """This Caf's integrators (oldest first), ``limit`` from ``offset``, each with its keys."""
    query = (
        select(integrators)
        .where(integrators.c.caf_code == caf_code)
        .order_by(integrators.c.created_at, integrators.c.id)
        .offset(offset)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    keys = (
        await session.execute(
            select(api_keys).where(api_keys.c.integrator_id.in_([r.id for r in rows])).order_by(api_keys.c.created_at)
        )
    ).all()
    return [(row, [k for k in keys if k.integrator_id == row.id]) for row in rows]


async def count_integrators(session: AsyncSession, caf_code: str) -> int:
    return int(await session.scalar(select(func.count()).where(integrators.c.caf_code == caf_code)) or 0)


async def register_document(
    session: AsyncSession, integrator_id: str, document: str, *, document_id: str, agent_number: str, now: datetime
) -> None:
    """Trust ``document`` for this integrator (registering the same text again changes nothing)."""
    known = select(documents.c.document_id).where(
        documents.c.integrator_id == integrator_id, documents.c.document_id == document_id
    )
    if (await session.execute(known)).first() is None:
        await session.execute(
            documents.insert().values(
                integrator_id=integrator_id, document_id=document_id, document=document,
                registered_by=agent_number, registered_at=now,
            )
        )  # fmt: skip


async def registered_document(session: AsyncSession, document_id: str) -> str | None:
    """The text of a document some Caf registered under ``document_id``, if any."""
    query = select(documents.c.document).where(documents.c.document_id == document_id).limit(1)
    text: str | None = await session.scalar(query)
    return text
