"""The catalogue's write side: the only place that inserts or updates catalogue rows.

Publishing operating information archives the previous version (cancel and replace, convention art. 4) and stores
the derived OpenStreetMap hours and age bounds used by searches.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, select, text, update
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


class NewAvailability(NamedTuple):
    """One availability to publish (a named tuple: a transmission builds tens of thousands of them)."""

    day: date
    slot: Slot
    places: int
    age_group: AgeGroup | None = None
    care_kind: CareKind = CareKind.OCCASIONNEL


@dataclass(frozen=True)
class AvailabilityBatch:
    """The availabilities published for one establishment in one go (cancel and replace for the dates covered)."""

    establishment_id: str
    entries: Sequence[NewAvailability]


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
    [batch_id] = await replace_availability_batches(
        session,
        [AvailabilityBatch(establishment_id, batch)],
        communicated_at=communicated_at,
        channel=channel,
        agent_number=agent_number,
    )
    return batch_id


async def replace_availability_batches(
    session: AsyncSession,
    batches: Sequence[AvailabilityBatch],
    *,
    communicated_at: datetime,
    channel: Channel,
    agent_number: str | None,
) -> list[str]:
    """Cancel and replace for many establishments at once, with a few set-based statements; returns the batch ids.

    An establishment may come more than once: its later batch replaces the earlier one for the dates they share,
    as if the batches had been published one after the other."""
    batch_ids = [str(uuid.uuid4()) for _ in batches]
    for turn in _turns(list(zip(batches, batch_ids, strict=True))):
        await _delete_days(session, [b for b, _ in turn])
        rows = _AvailabilityRows(communicated_at, channel, agent_number)
        for batch, batch_id in turn:
            rows.add(batch, batch_id)
        await _insert_availabilities(session, rows)
    touched = sorted({b.establishment_id for b in batches})
    if touched:
        await session.execute(
            update(establishments)
            .where(establishments.c.id.in_(touched))
            .values(
                availability_updated_at=communicated_at,
                availability_channel=channel.value,
                availability_stale_after=None,
            )
        )
    return batch_ids


async def set_availability_deadlines(session: AsyncSession, stale_after: Mapping[str, datetime]) -> None:
    """When each establishment's published availabilities turn « périmées » if nothing new comes, where the weekly
    rule of the manual channel is not the one (see :func:`domain.transmission_deadline`); one executemany."""
    if stale_after:
        await session.execute(
            update(establishments)
            .where(establishments.c.id == bindparam("establishment_id"))
            .values(availability_stale_after=bindparam("stale_after")),
            [{"establishment_id": key, "stale_after": moment} for key, moment in stale_after.items()],
        )


def _turns(
    batches: list[tuple[AvailabilityBatch, str]],
) -> list[list[tuple[AvailabilityBatch, str]]]:
    """Split so that no establishment appears twice in one turn (each turn's deletes precede its inserts)."""
    turns: list[list[tuple[AvailabilityBatch, str]]] = []
    seen: list[set[str]] = []
    for item in batches:
        depth = sum(1 for ids in seen if item[0].establishment_id in ids)
        if depth == len(turns):
            turns.append([])
            seen.append(set())
        turns[depth].append(item)
        seen[depth].add(item[0].establishment_id)
    return turns


class _AvailabilityRows:
    """The rows of many batches, kept as columns, shared values repeated."""

    def __init__(self, communicated_at: datetime, channel: Channel, agent_number: str | None) -> None:
        self._shared = {"communicated_at": communicated_at, "channel": channel.value, "agent_number": agent_number}
        self.columns: dict[str, list[Any]] = {
            name: [] for name in ("establishment_id", "day", "slot", "places", "age_group", "care_kind", "batch_id")
        }

    def add(self, batch: AvailabilityBatch, batch_id: str) -> None:
        c, entries = self.columns, batch.entries
        c["establishment_id"] += [batch.establishment_id] * len(entries)
        c["batch_id"] += [batch_id] * len(entries)
        c["day"] += [e.day for e in entries]
        c["slot"] += [e.slot.value for e in entries]
        c["places"] += [e.places for e in entries]
        c["age_group"] += [e.age_group.value if e.age_group else None for e in entries]
        c["care_kind"] += [e.care_kind.value for e in entries]

    def __len__(self) -> int:
        return len(self.columns["day"])

    def as_columns(self) -> dict[str, list[Any]]:
        return {**self.columns, **{name: [value] * len(self) for name, value in self._shared.items()}}

    def as_rows(self) -> list[dict[str, Any]]:
        columns = self.as_columns()
        return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


_DELETE_DAYS = text(
    "DELETE FROM availabilities AS a USING unnest(CAST(:establishment_ids AS varchar[]), CAST(:days AS date[]))"
    " AS gone(establishment_id, day) WHERE a.establishment_id = gone.establishment_id AND a.day = gone.day"
    # Redundant, for the planner: the index scan then reads these crèches' rows of these weeks, not the whole table.
    " AND a.establishment_id = ANY(CAST(:distinct_ids AS varchar[])) AND a.day BETWEEN :first_day AND :last_day"
)


async def _delete_days(session: AsyncSession, batches: list[AvailabilityBatch]) -> None:
    """Delete the availabilities of the dates these batches cover: one statement on PostgreSQL."""
    covered = [(b.establishment_id, sorted({e.day for e in b.entries})) for b in batches]
    if _on_postgresql(session):
        ids = [establishment_id for establishment_id, days in covered for _ in days]
        days = [day for _, days in covered for day in days]
        if days:
            distinct_ids = sorted({b.establishment_id for b in batches})
            bounds = {"first_day": min(days), "last_day": max(days)}
            parameters = {"establishment_ids": ids, "days": days, "distinct_ids": distinct_ids, **bounds}
            await session.execute(_DELETE_DAYS, parameters)
        return
    for establishment_id, days in covered:
        if days:
            await session.execute(
                delete(availabilities).where(
                    availabilities.c.establishment_id == establishment_id, availabilities.c.day.in_(days)
                )
            )


async def _insert_availabilities(session: AsyncSession, rows: _AvailabilityRows) -> None:
    """Insert availability rows: one COPY on PostgreSQL, an executemany elsewhere."""
    if not len(rows):
        return
    if _on_postgresql(session):
        # COPY: about a third faster than INSERT … SELECT FROM unnest(…) for 30,000 rows, in the same transaction.
        columns = rows.as_columns()
        raw = await (await session.connection()).get_raw_connection()
        driver: Any = raw.driver_connection
        records = zip(*columns.values(), strict=True)
        await driver.copy_records_to_table("availabilities", records=records, columns=list(columns))
    else:
        await session.execute(availabilities.insert(), rows.as_rows())


def _on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
