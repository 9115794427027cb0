"""The Caf's register of establishments: record (create or update) and close, within the Caf's territory.

Each change is published at once (``EstablishmentChanged`` through the publication log): integrators learn of a new
crèche, a moved one or a closed one like of any other publication. A closed establishment leaves the public
catalogue from its closing day on; its history stays.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import writes
from gateway.catalogue.tables import communes, departements, establishments, providers
from gateway.catalogue.vocabulary import Category, EajeType
from gateway.publications.log import record_publication
from gateway.user_errors import UserError
from shared.events import EstablishmentChanged
from shared.outbox import OutboxSignal

SOURCE = "/structures/gateway"


@dataclass(frozen=True)
class EstablishmentEntry:
    """What a Caf agent records; ``id`` None creates a new establishment."""

    id: str | None
    provider_id: str | None
    name: str
    category: Category
    eaje_type: EajeType | None
    street_number: str | None
    street_name: str | None
    postal_code: str
    commune_insee: str
    latitude: float
    longitude: float
    capacity: int | None


@dataclass(frozen=True)
class Actor:
    caf_code: str
    agent_number: str


async def record_establishment(
    session: AsyncSession, entry: EstablishmentEntry, actor: Actor, *, now: datetime, signal: OutboxSignal | None
) -> str | list[UserError]:
    """Create or update an establishment of the Caf's territory; its id, or what is wrong."""
    existing = await _own(session, entry.id, actor.caf_code) if entry.id else None
    if entry.id and existing is None:
        return [UserError("id", "NOT_FOUND", "Établissement introuvable sur le territoire de votre Caf.")]
    if existing is not None and existing.closed_on is not None:
        return [UserError("id", "CLOSED", "Cet établissement est fermé : il ne peut plus être modifié.")]
    departement = await _territory_departement(session, entry.commune_insee, actor.caf_code)
    errors = _entry_errors(entry, departement, creating=existing is None)
    provider = entry.provider_id or (existing.provider_id if existing is not None else None)
    if provider is None or await session.scalar(select(providers.c.id).where(providers.c.id == provider)) is None:
        errors.append(UserError("providerId", "NOT_FOUND", "Gestionnaire inconnu."))
    if errors:
        return errors
    values: dict[str, Any] = {
        "name": entry.name.strip(), "category": entry.category.value,
        "eaje_type": entry.eaje_type.value if entry.eaje_type else None, "provider_id": provider,
        "street_number": entry.street_number, "street_name": entry.street_name, "postal_code": entry.postal_code,
        "commune_insee": entry.commune_insee, "departement": departement, "latitude": entry.latitude,
        "longitude": entry.longitude, "capacity": entry.capacity, "updated_at": now,
    }  # fmt: skip
    if existing is None:
        establishment_id = await writes.add_establishment(session, id=str(uuid.uuid4()), alsh_kinds=[], **values)
        change: Literal["CREATED", "UPDATED"] = "CREATED"
    else:
        establishment_id = str(existing.id)
        await session.execute(update(establishments).where(establishments.c.id == establishment_id).values(**values))
        change = "UPDATED"
    await _publish(session, establishment_id, change, now, signal)
    return establishment_id


async def close_establishment(
    session: AsyncSession, establishment_id: str, closed_on: date, reason: str, actor: Actor, *, now: datetime,
    signal: OutboxSignal | None,
) -> list[UserError]:  # fmt: skip
    existing = await _own(session, establishment_id, actor.caf_code)
    if existing is None:
        return [UserError("establishmentId", "NOT_FOUND", "Établissement introuvable sur le territoire de votre Caf.")]
    if existing.closed_on is not None:
        return [UserError("establishmentId", "CLOSED", "Cet établissement est déjà fermé.")]
    if not reason.strip() or len(reason) > 1000:
        return [UserError("reason", "REQUIRED", "Indiquez le motif de la fermeture (1 000 caractères au plus).")]
    await session.execute(
        update(establishments)
        .where(establishments.c.id == establishment_id)
        .values(closed_on=closed_on, closure_reason=reason.strip(), updated_at=now)
    )
    await _publish(session, establishment_id, "CLOSED", now, signal)
    return []


async def _own(session: AsyncSession, establishment_id: str | None, caf_code: str) -> Any:
    """The establishment (locked for this change) if it lies in this Caf's territory."""
    query = (
        select(establishments)
        .join(departements, departements.c.code == establishments.c.departement)
        .where(establishments.c.id == establishment_id, departements.c.caf_code == caf_code)
        .with_for_update(of=establishments)
    )
    return (await session.execute(query)).first()


async def _territory_departement(session: AsyncSession, commune_insee: str, caf_code: str) -> str | None:
    query = (
        select(communes.c.departement)
        .join(departements, departements.c.code == communes.c.departement)
        .where(communes.c.insee == commune_insee, departements.c.caf_code == caf_code)
    )
    found = await session.scalar(query)
    return str(found) if found is not None else None


def _entry_errors(entry: EstablishmentEntry, departement: str | None, *, creating: bool) -> list[UserError]:
    errors = []
    if not entry.name.strip() or len(entry.name) > 300:
        errors.append(UserError("name", "REQUIRED", "Le nom est obligatoire (300 caractères au plus)."))
    if (entry.category is Category.EAJE) != (entry.eaje_type is not None):
        errors.append(UserError("eajeType", "INVALID", "Le type d'EAJE est obligatoire pour une crèche, et seulement."))
    if departement is None:
        errors.append(
            UserError("communeInsee", "OUTSIDE_TERRITORY", "Commune inconnue ou hors du territoire de votre Caf.")
        )
    if len(entry.postal_code) != 5 or not entry.postal_code.isdigit():
        errors.append(UserError("postalCode", "INVALID", "Code postal à 5 chiffres."))
    if not (-90 <= entry.latitude <= 90 and -180 <= entry.longitude <= 180):
        errors.append(UserError("latitude", "INVALID", "Coordonnées GPS invalides."))
    if entry.capacity is not None and not 0 < entry.capacity <= 1000:
        errors.append(UserError("capacity", "INVALID", "Capacité entre 1 et 1 000 places."))
    if creating and entry.provider_id is None:
        errors.append(UserError("providerId", "REQUIRED", "Le gestionnaire est obligatoire à la création."))
    return errors


async def _publish(
    session: AsyncSession, establishment_id: str, change: Literal["CREATED", "UPDATED", "CLOSED"], now: datetime,
    signal: OutboxSignal | None,
) -> None:  # fmt: skip
    row = (await session.execute(select(establishments).where(establishments.c.id == establishment_id))).one()
    event = EstablishmentChanged(
        establishment_id=uuid.UUID(establishment_id), place=writes.public_place(row), change=change, name=row.name,
        eaje_type=row.eaje_type, postal_code=row.postal_code, latitude=row.latitude, longitude=row.longitude,
        capacity=row.capacity, closed_on=row.closed_on, changed_at=now,
    )  # fmt: skip
    await record_publication(session, event, source=SOURCE, signal=signal)
