"""Reading the Caf's register: its territory's establishments, open and closed, and the providers that manage them.

The public catalogue (``repositories``) hides an establishment from its closing day on; the register shows it,
with its closing date and reason, to the agents of the Caf whose territory holds it.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.domain import search_key
from gateway.catalogue.states import RegisterStatus
from gateway.catalogue.tables import communes, departements, establishments, providers
from gateway.catalogue.vocabulary import Category, EajeType

E = establishments


@dataclass(frozen=True)
class RegisterSearch:
    """Which register entries an agent asks for; ``None`` leaves a criterion out."""

    caf_code: str
    today: date
    name: str | None = None
    commune: str | None = None
    """An INSEE code, a postal code, or the start of the commune's name."""
    category: Category | None = None
    provider_id: str | None = None
    status: RegisterStatus | None = None


@dataclass(frozen=True)
class RegisteredProviderEntry:
    id: str
    name: str
    siret: str | None


@dataclass(frozen=True)
class RegisterEntry:
    id: str
    name: str
    category: Category
    eaje_type: EajeType | None
    provider: RegisteredProviderEntry
    street_number: str | None
    street_name: str | None
    postal_code: str
    commune_insee: str
    commune_name: str
    latitude: float
    longitude: float
    capacity: int | None
    closed_on: date | None
    closure_reason: str | None


def _in_territory(caf_code: str) -> ColumnElement[bool]:
    territory = select(departements.c.code).where(departements.c.caf_code == caf_code)
    return E.c.departement.in_(territory.scalar_subquery())


def _conditions(search: RegisterSearch) -> list[ColumnElement[bool]]:
    conditions = [_in_territory(search.caf_code)]
    if search.name and search.name.strip():
        conditions.append(E.c.name.icontains(search.name.strip(), autoescape=True))
    if search.commune and search.commune.strip():
        commune = search.commune.strip()
        conditions.append(
            or_(
                E.c.commune_insee == commune,
                E.c.postal_code == commune,
                communes.c.search_name.startswith(search_key(commune)),
            )
        )
    if search.category is not None:
        conditions.append(E.c.category == search.category.value)
    if search.provider_id is not None:
        conditions.append(E.c.provider_id == search.provider_id)
    if search.status is not None:
        closed = and_(E.c.closed_on.is_not(None), E.c.closed_on <= search.today)
        conditions.append(closed if search.status is RegisterStatus.FERME else ~closed)
    return conditions


def _joined(statement: Select[Any]) -> Select[Any]:
    return statement.select_from(
        E.join(communes, communes.c.insee == E.c.commune_insee).join(providers, providers.c.id == E.c.provider_id)
    )


async def list_register(
    session: AsyncSession, search: RegisterSearch, *, offset: int, limit: int
) -> list[RegisterEntry]:
    """The entries matching ``search``, by name."""
    query = (
        _joined(
            select(
                E,
                communes.c.name.label("commune_name"),
                providers.c.name.label("provider_name"),
                providers.c.siret.label("provider_siret"),
            )
        )
        .where(*_conditions(search))
        .order_by(E.c.name, E.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [_entry(row) for row in await session.execute(query)]


async def count_register(session: AsyncSession, search: RegisterSearch) -> int:
    query = _joined(select(func.count())).where(*_conditions(search))
    return int(await session.scalar(query) or 0)


async def list_territory_providers(
    session: AsyncSession, caf_code: str, search: str | None, *, limit: int
) -> list[RegisteredProviderEntry]:
    """The providers of the Caf, and any other managing an establishment of its territory, by name; ``search``
    keeps those whose name holds it or whose SIRET starts with it."""
    manages_here = exists().where(E.c.provider_id == providers.c.id, _in_territory(caf_code))
    conditions = [or_(providers.c.caf_code == caf_code, manages_here)]
    if search and search.strip():
        text = search.strip()
        conditions.append(
            or_(providers.c.name.icontains(text, autoescape=True), providers.c.siret.startswith(text, autoescape=True))
        )
    query = (
        select(providers.c.id, providers.c.name, providers.c.siret)
        .where(*conditions)
        .order_by(providers.c.name, providers.c.id)
        .limit(limit)
    )
    return [RegisteredProviderEntry(row.id, row.name, row.siret) for row in await session.execute(query)]


def _entry(row: Any) -> RegisterEntry:
    return RegisterEntry(
        id=row.id,
        name=row.name,
        category=Category(row.category),
        eaje_type=EajeType(row.eaje_type) if row.eaje_type else None,
        provider=RegisteredProviderEntry(row.provider_id, row.provider_name, row.provider_siret),
        street_number=row.street_number,
        street_name=row.street_name,
        postal_code=row.postal_code,
        commune_insee=row.commune_insee,
        commune_name=row.commune_name,
        latitude=row.latitude,
        longitude=row.longitude,
        capacity=row.capacity,
        closed_on=row.closed_on,
        closure_reason=row.closure_reason,
    )
