"""What the gateway's other features read of the catalogue: they never import its tables, they call these.

Two kinds: look-ups that return values, and query fragments (``Select``) that a feature composes into its own
statement with ``column.in_(...)`` where splitting the statement in two would change its meaning (a row lock, a
correlated condition) or its cost (a Caf's whole territory).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.states import VersionStatus
from gateway.catalogue.tables import cafs, communes, departements, establishments, operating_info_versions, providers


@dataclass(frozen=True)
class Place:
    """Where an establishment is, whose it is and which Caf's territory it is in."""

    id: str
    name: str
    provider_id: str
    departement: str
    commune_insee: str
    category: str
    caf_code: str


def providers_in_caf(caf_code: str) -> Select[tuple[str]]:
    """The ids of the providers in ``caf_code``'s territory."""
    return select(providers.c.id).where(providers.c.caf_code == caf_code)


def establishments_run_by(provider_id: str | ColumnElement[Any]) -> Select[tuple[str]]:
    """The ids of the establishments a provider runs; given a column (``accounts.c.provider_id``), the subquery is
    correlated to the enclosing statement's row."""
    return select(establishments.c.id).where(establishments.c.provider_id == provider_id)


def establishment_name(establishment_id: ColumnElement[Any]) -> ScalarSelect[str]:
    """The name of the establishment a column names, as a column of the enclosing statement."""
    return select(establishments.c.name).where(establishments.c.id == establishment_id).scalar_subquery()


async def lock_caf(session: AsyncSession, caf_code: str) -> None:
    """A no-op write on the Caf's row: until the transaction ends, whoever does the same for this Caf waits (a row
    lock on PostgreSQL, the write lock on SQLite)."""
    await session.execute(update(cafs).where(cafs.c.code == caf_code).values(label=cafs.c.label))


async def lock_establishment(session: AsyncSession, establishment_id: str) -> None:
    """Hold the establishment's row until the transaction ends (``SELECT … FOR UPDATE``)."""
    await session.execute(select(establishments.c.id).where(establishments.c.id == establishment_id).with_for_update())


async def get_provider_caf(session: AsyncSession, provider_id: str) -> str | None:
    found = await session.scalar(select(providers.c.caf_code).where(providers.c.id == provider_id))
    return None if found is None else str(found)


async def get_places(session: AsyncSession, ids: Sequence[str]) -> dict[str, Place]:
    e = establishments.c
    rows = await session.execute(
        select(e.id, e.name, e.provider_id, e.departement, e.commune_insee, e.category, departements.c.caf_code)
        .join(departements, departements.c.code == e.departement)
        .where(e.id.in_(ids))
    )
    return {row.id: Place(*row) for row in rows}


async def get_structure_words(
    session: AsyncSession, provider_id: str, *, first: Select[tuple[str]], limit: int
) -> list[str]:
    """The provider's name and commune, then its establishments' names and communes (those in ``first`` first)."""
    provider = (
        await session.execute(
            select(providers.c.name, communes.c.name.label("commune"))
            .select_from(providers.outerjoin(communes, communes.c.insee == providers.c.commune_insee))
            .where(providers.c.id == provider_id)
        )
    ).first()
    words = [provider.name, provider.commune or ""] if provider is not None else []
    places = await session.execute(
        select(establishments.c.name, communes.c.name.label("commune"))
        .join(communes, communes.c.insee == establishments.c.commune_insee)
        .where(establishments.c.provider_id == provider_id)
        .order_by(establishments.c.id.in_(first).desc(), establishments.c.name)
        .limit(limit)
    )
    return words + [word for place in places for word in (place.name, place.commune)]


async def get_caf_label(session: AsyncSession, caf_code: str) -> str | None:
    return await session.scalar(select(cafs.c.label).where(cafs.c.code == caf_code))


async def get_latest_version(session: AsyncSession, establishment_id: str) -> int | None:
    """The number of the establishment's newest operating-information version, whatever its status."""
    versions = operating_info_versions.c
    latest = await session.scalar(
        select(func.max(versions.version)).where(versions.establishment_id == establishment_id)
    )
    return None if latest is None else int(latest)


async def get_published_version(session: AsyncSession, establishment_id: str, *, lock: bool = False) -> Any:
    """The establishment's published version row, or None; ``lock`` holds it until the transaction ends."""
    versions = operating_info_versions.c
    query = select(operating_info_versions).where(
        versions.establishment_id == establishment_id, versions.status == VersionStatus.PUBLISHED
    )
    return (await session.execute(query.with_for_update() if lock else query)).first()


async def get_version_document(session: AsyncSession, establishment_id: str, version: int) -> Any:
    versions = operating_info_versions.c
    return await session.scalar(
        select(versions.document).where(versions.establishment_id == establishment_id, versions.version == version)
    )


async def get_establishment_names(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    """Each establishment's name, in the database's order of names (then ids)."""
    e = establishments.c
    rows = await session.execute(select(e.id, e.name).where(e.id.in_(ids)).order_by(e.name, e.id))
    return {str(establishment_id): str(name) for establishment_id, name in rows}
