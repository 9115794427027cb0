"""DataLoaders, built per request: each batches the lookups of one request into a single statement.

They only read: each batch runs through :func:`shared.db.retry_once_if_disconnected` (their sessions may come from
the read engine, without pre-ping)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from strawberry.dataloader import DataLoader

from gateway.catalogue import repositories
from gateway.catalogue.records import AvailabilityRecord, CafRecord, CommuneRecord, EstablishmentRecord, ProviderRecord
from shared.db import SessionFactory, retry_once_if_disconnected

AvailabilityKey = tuple[str, date, date]


@dataclass(frozen=True)
class Loaders:
    establishments: DataLoader[str, EstablishmentRecord | None]
    communes: DataLoader[str, CommuneRecord | None]
    cafs: DataLoader[str, CafRecord | None]
    caf_departements: DataLoader[str, list[str]]
    providers: DataLoader[str, ProviderRecord | None]
    availabilities: DataLoader[AvailabilityKey, list[AvailabilityRecord]]


def build_loaders(sessions: SessionFactory, today: date) -> Loaders:
    async def establishments(ids: Sequence[str]) -> list[EstablishmentRecord | None]:
        async def read() -> dict[str, EstablishmentRecord]:
            async with sessions() as session:
                return {r.id: r for r in await repositories.get_establishments(session, ids, today)}

        found = await retry_once_if_disconnected(read)
        return [found.get(i) for i in ids]

    async def communes(codes: Sequence[str]) -> list[CommuneRecord | None]:
        async def read() -> dict[str, CommuneRecord]:
            async with sessions() as session:
                return {r.insee: r for r in await repositories.get_communes(session, codes)}

        found = await retry_once_if_disconnected(read)
        return [found.get(c) for c in codes]

    async def cafs(codes: Sequence[str]) -> list[CafRecord | None]:
        async def read() -> dict[str, CafRecord]:
            async with sessions() as session:
                return {r.code: r for r in await repositories.get_cafs(session, codes)}

        found = await retry_once_if_disconnected(read)
        return [found.get(c) for c in codes]

    async def caf_departements(codes: Sequence[str]) -> list[list[str]]:
        async def read() -> dict[str, list[str]]:
            async with sessions() as session:
                return await repositories.get_caf_departements(session, codes)

        found = await retry_once_if_disconnected(read)
        return [found.get(c, []) for c in codes]

    async def providers(ids: Sequence[str]) -> list[ProviderRecord | None]:
        async def read() -> dict[str, ProviderRecord]:
            async with sessions() as session:
                return {r.id: r for r in await repositories.get_providers(session, ids)}

        found = await retry_once_if_disconnected(read)
        return [found.get(i) for i in ids]

    return Loaders(
        establishments=DataLoader(establishments),
        communes=DataLoader(communes),
        cafs=DataLoader(cafs),
        caf_departements=DataLoader(caf_departements),
        providers=DataLoader(providers),
        availabilities=DataLoader(_availabilities_loader(sessions)),
    )


def _availabilities_loader(sessions: SessionFactory):  # type: ignore[no-untyped-def]
    async def load(keys: Sequence[AvailabilityKey]) -> list[list[AvailabilityRecord]]:
        by_range: dict[tuple[date, date], list[str]] = defaultdict(list)
        for establishment_id, start, end in keys:
            by_range[(start, end)].append(establishment_id)

        async def read() -> dict[AvailabilityKey, list[AvailabilityRecord]]:
            found: dict[AvailabilityKey, list[AvailabilityRecord]] = defaultdict(list)
            async with sessions() as session:
                for (start, end), ids in by_range.items():
                    for record in await repositories.list_availabilities(session, ids, start, end):
                        found[(record.establishment_id, start, end)].append(record)
            return found

        found = await retry_once_if_disconnected(read)
        return [found.get(key, []) for key in keys]

    return load
