"""The catalogue's write side: the only place that inserts or updates catalogue rows.

Publishing operating information archives the previous version (cancel and replace, convention art. 4) and stores
the derived OpenStreetMap hours and age bounds used by searches.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.domain import osm_opening_hours
from gateway.catalogue.states import VersionStatus
from gateway.catalogue.tables import availabilities, establishments, operating_info_versions, providers
from gateway.catalogue.vocabulary import AgeGroup, CareKind, Channel, Slot
from shared.events import PublicPlace


def public_place(row: Any) -> PublicPlace:
    """The public place of an ``establishments`` row (or any row with its departement, commune and category)."""
    return PublicPlace(departement=row.departement, commune_insee=row.commune_insee, category=row.category)


async def load_public_place(session: AsyncSession, establishment_id: str) -> PublicPlace:
    e = establishments.c
    row = (
        await session.execute(select(e.departement, e.commune_insee, e.category).where(e.id == establishment_id))
    ).one()
    return public_place(row)


async def add_provider(session: AsyncSession, **values: Any) -> str:
    provider_id = str(values.pop("id", None) or uuid.uuid4())
    await session.execute(providers.insert().values(id=provider_id, **values))
    return provider_id


async def add_establishment(session: AsyncSession, **values: Any) -> str:
    establishment_id = str(values.pop("id", None) or uuid.uuid4())
    await session.execute(establishments.insert().values(id=establishment_id, **values))
    return establishment_id


def version_row(
    establishment_id: str,
    version: int,
    document: OperatingInfoDocument,
    published_at: datetime,
    agent_number: str | None,
) -> dict[str, Any]:
    """The ``operating_info_versions`` row of a published document, with its derived columns."""
    return {
        "id": str(uuid.uuid4()),
        "establishment_id": establishment_id,
        "version": version,
        "status": VersionStatus.PUBLISHED,
        "document": document.model_dump(mode="json", exclude_defaults=True),
        "opening_hours": osm_opening_hours(document),
        "age_min_months": document.age_min.in_months() if document.age_min else None,
        "age_max_months": document.age_max.in_months() if document.age_max else None,
        "published_at": published_at,
        "agent_number": agent_number,
    }


async def publish_operating_info(
    session: AsyncSession,
    establishment_id: str,
    document: OperatingInfoDocument,
    *,
    published_at: datetime,
    agent_number: str | None,
) -> int:
    """Publish ``document`` as the establishment's next version; the previous one is archived. Returns the version."""
    versions = operating_info_versions.c
    latest = await session.scalar(
        select(func.max(versions.version)).where(versions.establishment_id == establishment_id)
    )
    await session.execute(
        update(operating_info_versions)
        .where(and_(versions.establishment_id == establishment_id, versions.status == VersionStatus.PUBLISHED))
        .values(status=VersionStatus.ARCHIVED)
    )
    version = (latest or 0) + 1
    row = version_row(establishment_id, version, document, published_at, agent_number)
    await session.execute(operating_info_versions.insert().values(**row))
    return version


async def withdraw_version(
    session: AsyncSession, version_id: str, *, at: datetime, by: str, reasons: list[str], comment: str | None
) -> None:
    """The Caf withdraws a published version (convention, article 2): it stays, marked WITHDRAWN with why."""
    await session.execute(
        update(operating_info_versions)
        .where(operating_info_versions.c.id == version_id)
        .values(
            status=VersionStatus.WITHDRAWN, withdrawn_at=at, withdrawn_by=by, withdrawal_reasons=reasons,
            withdrawal_comment=comment,
        )
    )  # fmt: skip


@dataclass(frozen=True)
class NewAvailability:
    day: date
    slot: Slot
    places: int
    age_group: AgeGroup | None = None
    care_kind: CareKind = CareKind.OCCASIONNEL


async def replace_availabilities(
    session: AsyncSession,
    establishment_id: str,
    batch: Sequence[NewAvailability],
    *,
    communicated_at: datetime,
    channel: Channel,
    agent_number: str | None,
) -> str:
    """Cancel and replace: the batch replaces what was published for the dates it covers."""
    batch_id = str(uuid.uuid4())
    days = sorted({item.day for item in batch})
    await session.execute(
        delete(availabilities).where(
            availabilities.c.establishment_id == establishment_id, availabilities.c.day.in_(days)
        )
    )
    if batch:
        await session.execute(
            availabilities.insert(),
            [
                {
                    "establishment_id": establishment_id,
                    "day": item.day,
                    "slot": item.slot.value,
                    "places": item.places,
                    "age_group": item.age_group.value if item.age_group else None,
                    "care_kind": item.care_kind.value,
                    "communicated_at": communicated_at,
                    "channel": channel.value,
                    "batch_id": batch_id,
                    "agent_number": agent_number,
                }
                for item in batch
            ],
        )
    await session.execute(
        update(establishments)
        .where(establishments.c.id == establishment_id)
        .values(
            availability_updated_at=communicated_at, availability_channel=channel.value, availability_stale_after=None
        )
    )
    return batch_id


async def set_availability_deadline(session: AsyncSession, establishment_id: str, stale_after: datetime) -> None:
    """When the published availabilities turn « périmées » if nothing new comes, where the weekly rule of the
    manual channel is not the one (see :func:`domain.transmission_deadline`)."""
    await session.execute(
        update(establishments)
        .where(establishments.c.id == establishment_id)
        .values(availability_stale_after=stale_after)
    )
