"""Who runs the register's establishments: look-ups by establishment and by SIRET, and the attachment of an
establishment to another provider (the only write of ``establishments.provider_id`` outside the Caf's register)."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.records import HeldEstablishmentRecord, HolderRecord
from gateway.catalogue.tables import communes, establishments, providers
from gateway.catalogue.vocabulary import Category

E, P = establishments, providers


async def get_held_establishments(
    session: AsyncSession, ids: Sequence[str], *, lock: bool = False
) -> dict[str, HeldEstablishmentRecord]:
    """The establishments among ``ids`` that the register knows, with their provider; ``lock`` keeps their rows
    for this transaction (PostgreSQL), so that who runs them cannot change before it commits."""
    wanted = sorted(set(ids))
    if lock:
        # Locked first, read after: the read then sees whatever a concurrent change committed while we waited.
        await session.execute(select(E.c.id).where(E.c.id.in_(wanted)).order_by(E.c.id).with_for_update())
    columns = (E.c.id, E.c.name, E.c.category, E.c.departement, communes.c.name.label("commune"))
    query = (
        select(*columns, P.c.id.label("pid"), P.c.name.label("provider"), P.c.siret)
        .join(P, P.c.id == E.c.provider_id)
        .join(communes, communes.c.insee == E.c.commune_insee)
        .where(E.c.id.in_(wanted))
    )
    return {
        r.id: HeldEstablishmentRecord(
            r.id, r.name, Category(r.category), r.departement, r.commune, HolderRecord(r.pid, r.provider, r.siret)
        )
        for r in await session.execute(query)
    }


async def get_providers_by_siret(session: AsyncSession, sirets: Sequence[str]) -> dict[str, HolderRecord]:
    """SIRET → the register's provider with that SIRET, for those of ``sirets`` it knows."""
    query = select(P.c.id, P.c.name, P.c.siret).where(P.c.siret.in_(sorted(set(sirets)))).order_by(P.c.id)
    found: dict[str, HolderRecord] = {}
    for row in await session.execute(query):
        found.setdefault(row.siret, HolderRecord(row.id, row.name, row.siret))
    return found


async def attach_establishment(session: AsyncSession, establishment_id: str, *, from_id: str, to_id: str) -> bool:
    """Give the establishment to provider ``to_id`` if ``from_id`` still runs it (compare and set: a concurrent
    change of its provider makes this return False rather than overwrite it)."""
    result = await session.execute(
        update(E).where(E.c.id == establishment_id, E.c.provider_id == from_id).values(provider_id=to_id)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
