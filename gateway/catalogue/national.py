"""A deterministic national-scale catalogue for benchmarks (quality.md's dataset), bulk-loaded with COPY.

About 300,000 structures (≈20k EAJE, 35k accueils de loisirs, 3k RPE, 2k LAEP, 3k MAM, the rest assistants
maternels) spread over the real communes in proportion to their population, ≈2 million availability rows over the
next 90 days, and a published operating-information version for every establishment. Same seed, same data.
Establishments sit within ~2 km of their commune's reference point (see ``reference/README.md``).
"""

import json
import math
import random
import sys
import time as clock
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalogue.documents import Age, OpeningSlot, OperatingInfoDocument
from gateway.catalogue.tables import communes, departements, establishments
from gateway.catalogue.vocabulary import AgeUnit, Category, ClosurePeriod, EajeType, Funding, Management, Weekday
from gateway.catalogue.writes import version_row
from shared.errors import ConfigurationError

COUNTS = {
    Category.EAJE: 20_000,
    Category.ALSH: 35_000,
    Category.RPE: 3_000,
    Category.LAEP: 2_000,
    Category.MAM: 3_000,
    Category.ASSISTANT_MATERNEL: 237_000,
}
AVAILABILITY_DAYS = 90
EAJE_TYPES = [
    (EajeType.MULTI_ACCUEIL, 0.45),
    (EajeType.MICRO_CRECHE, 0.30),
    (EajeType.CRECHE_COLLECTIVE, 0.12),
    (EajeType.HALTE_GARDERIE, 0.06),
    (EajeType.CRECHE_FAMILIALE, 0.05),
    (EajeType.JARDIN_ENFANTS, 0.02),
]
NAMES = {
    Category.EAJE: ["Les Lucioles", "Les Petits Loups", "Les Doudous", "La Ribambelle", "Pomme d'Api", "Les Lutins"],
    Category.ALSH: ["Accueil de loisirs", "Centre de loisirs", "Accueil périscolaire"],
    Category.RPE: ["Relais Petite Enfance"],
    Category.LAEP: ["Lieu d'accueil enfants-parents"],
    Category.MAM: ["MAM Les Bouts d'Chou", "MAM Les Câlins", "MAM Les P'tits Bouchons"],
    Category.ASSISTANT_MATERNEL: ["Assistant maternel"],
}
TYPE_PREFIX = {
    EajeType.MULTI_ACCUEIL: "Multi-accueil",
    EajeType.MICRO_CRECHE: "Micro-crèche",
    EajeType.CRECHE_COLLECTIVE: "Crèche",
    EajeType.HALTE_GARDERIE: "Halte-garderie",
    EajeType.CRECHE_FAMILIALE: "Crèche familiale",
    EajeType.JARDIN_ENFANTS: "Jardin d'enfants",
}
WEEKDAYS = (Weekday.LUNDI, Weekday.MARDI, Weekday.MERCREDI, Weekday.JEUDI, Weekday.VENDREDI)


@dataclass(frozen=True)
class CommuneRef:
    insee: str
    name: str
    departement: str
    postal_code: str
    latitude: float
    longitude: float
    population: int


class Progress:
    """A progress bar on stderr, redrawn at most every 1 %."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self._shown = label, max(total, 1), 0, -1
        self._started = clock.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        percent = min(100, self.done * 100 // self.total)
        if percent != self._shown:
            self._shown = percent
            bar = "#" * (percent // 4) + "." * (25 - percent // 4)
            elapsed = clock.monotonic() - self._started
            sys.stderr.write(f"\r{self.label:<26} [{bar}] {percent:3d}% {self.done:>9,} rows {elapsed:6.1f} s")
            sys.stderr.flush()
            if percent == 100:
                sys.stderr.write("\n")


async def load_national(engine: AsyncEngine, *, scale: float = 1.0, seed: int = 59207) -> None:
    """Generate and COPY the dataset into an empty catalogue (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        raise ConfigurationError("the national dataset is loaded with COPY: GATEWAY_DATABASE_URL must be PostgreSQL")
    async with engine.connect() as connection:
        if await connection.scalar(select(func.count()).select_from(establishments)):
            sys.stderr.write("the catalogue is not empty: national dataset not loaded\n")
            return
        refs = await _communes(connection)
        caf_of = dict((await connection.execute(select(departements.c.code, departements.c.caf_code))).all())
    generator = Generator(refs, random.Random(seed), scale, caf_of)
    started = clock.monotonic()
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        pg: Any = raw.driver_connection
        await _copy(pg, "providers", generator.provider_columns, generator.providers())
        await _copy(pg, "establishments", generator.establishment_columns, generator.establishments())
        await _copy(pg, "operating_info_versions", generator.version_columns, generator.versions())
        await _copy(pg, "availabilities", generator.availability_columns, generator.availabilities())
    async with engine.connect() as connection:
        # Outside a transaction: statistics gathered in one that rolls back are thrown away with it.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE"))
    sys.stderr.write(f"national dataset loaded in {clock.monotonic() - started:.1f} s\n")


async def _communes(connection: Any) -> list[CommuneRef]:
    rows = await connection.execute(
        select(
            communes.c.insee,
            communes.c.name,
            communes.c.departement,
            communes.c.postal_codes,
            communes.c.latitude,
            communes.c.longitude,
            communes.c.population,
        ).where(communes.c.population > 0)
    )
    return [CommuneRef(r[0], r[1], r[2], r[3].split()[0] if r[3] else "00000", r[4], r[5], r[6]) for r in rows]


async def _copy(pg: Any, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> None:
    batch: list[tuple[Any, ...]] = []
    progress = Progress(table, 0)
    progress.total = max(getattr(rows, "expected", 1), 1)
    for row in rows:
        batch.append(row)
        if len(batch) >= 20_000:
            await pg.copy_records_to_table(table, records=batch, columns=list(columns))
            progress.advance(len(batch))
            batch = []
    if batch:
        await pg.copy_records_to_table(table, records=batch, columns=list(columns))
        progress.advance(len(batch))
    progress.advance(progress.total - progress.done)


class Sized(Iterator[tuple[Any, ...]]):
    """An iterator that knows roughly how many rows it will give (for the progress bar)."""

    def __init__(self, rows: Iterator[tuple[Any, ...]], expected: int) -> None:
        self._rows, self.expected = rows, expected

    def __next__(self) -> tuple[Any, ...]:
        return next(self._rows)


class Generator:
    provider_columns = ("id", "name", "kind", "commune_insee", "postal_code", "caf_code")
    establishment_columns = (
        "id", "name", "category", "eaje_type", "parental", "occasional_only", "alsh_kinds", "avip", "management",
        "provider_id", "street_number", "street_name", "postal_code", "commune_insee", "departement", "latitude",
        "longitude", "phone", "email", "capacity", "availability_updated_at", "updated_at",
    )  # fmt: skip
    version_columns = (
        "id", "establishment_id", "version", "status", "document", "opening_hours", "age_min_months",
        "age_max_months", "published_at", "agent_number",
    )  # fmt: skip
    availability_columns = (
        "establishment_id", "day", "slot", "places", "age_group", "care_kind", "communicated_at", "channel",
        "batch_id", "agent_number",
    )  # fmt: skip

    def __init__(self, refs: list[CommuneRef], rng: random.Random, scale: float, caf_of: dict[str, str]) -> None:
        self._rng = rng
        self._refs = refs
        self._weights = list(self._cumulative(r.population for r in refs))
        self._now = datetime.now(UTC).replace(microsecond=0)
        self._today = self._now.date()
        self._plan = [(category, max(1, round(count * scale))) for category, count in COUNTS.items()]
        self._sites: list[tuple[str, Category, EajeType | None, CommuneRef, str]] = []
        self._caf_of = caf_of

    @staticmethod
    def _cumulative(values: Iterator[int]) -> Iterator[int]:
        total = 0
        for value in values:
            total += value
            yield total

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _commune(self) -> CommuneRef:
        return self._rng.choices(self._refs, cum_weights=self._weights, k=1)[0]

    def providers(self) -> Sized:
        expected = sum(count for _, count in self._plan)
        return Sized(self._providers(), expected)

    def _providers(self) -> Iterator[tuple[Any, ...]]:
        for category, count in self._plan:
            for index in range(count):
                commune = self._commune()
                provider_id = self._uuid()
                eaje_type = self._eaje_type() if category is Category.EAJE else None
                self._sites.append((provider_id, category, eaje_type, commune, self._uuid()))
                kind, name = self._provider_identity(category, commune, index)
                yield (provider_id, name, kind, commune.insee, commune.postal_code, self._caf_of[commune.departement])

    def _provider_identity(self, category: Category, commune: CommuneRef, index: int) -> tuple[str, str]:
        if category is Category.ASSISTANT_MATERNEL:
            return "AUTRE", f"Assistant maternel n° {index + 1:06d}"
        if category is Category.MAM:
            return "ASSOCIATION", f"Association MAM {commune.name} {index + 1}"
        roll = self._rng.random()
        if roll < 0.6:
            return "COMMUNE", f"Mairie de {commune.name}"
        if roll < 0.85:
            return "ASSOCIATION", f"Association petite enfance de {commune.name}"
        return "ENTREPRISE", f"Crèches de France {index % 200 + 1}"

    def _eaje_type(self) -> EajeType:
        types, weights = zip(*EAJE_TYPES, strict=True)
        chosen: EajeType = self._rng.choices(types, weights=weights, k=1)[0]
        return chosen

    def establishments(self) -> Sized:
        return Sized(self._establishments(), len(self._sites))

    def _establishments(self) -> Iterator[tuple[Any, ...]]:
        for provider_id, category, eaje_type, commune, establishment_id in self._sites:
            rng = self._rng
            distance, bearing = 2.0 * math.sqrt(rng.random()), rng.random() * 2 * math.pi
            latitude = commune.latitude + distance * math.cos(bearing) / 111.195
            longitude = commune.longitude + distance * math.sin(bearing) / (
                111.195 * math.cos(math.radians(commune.latitude))
            )
            name = f"{self._name(category, eaje_type)} — {commune.name}"
            capacity = self._capacity(category, eaje_type)
            updated = self._now - timedelta(days=rng.choice((0, 1, 2, 3, 5, 9))) if category is Category.EAJE else None
            yield (
                establishment_id, name, category.value, eaje_type.value if eaje_type else None, False, False,
                json.dumps([]), False, self._management(category), provider_id, str(rng.randint(1, 120)),
                "rue de la République", commune.postal_code, commune.insee, commune.departement, round(latitude, 6),
                round(longitude, 6), None, None, capacity, updated, self._now,
            )  # fmt: skip

    def _name(self, category: Category, eaje_type: EajeType | None) -> str:
        base = self._rng.choice(NAMES[category])
        return f"{TYPE_PREFIX[eaje_type]} {base}" if eaje_type else base

    def _capacity(self, category: Category, eaje_type: EajeType | None) -> int | None:
        if eaje_type is EajeType.MICRO_CRECHE:
            return self._rng.randint(8, 12)
        if category is Category.EAJE:
            return self._rng.randint(13, 80)
        if category in (Category.MAM, Category.ASSISTANT_MATERNEL):
            return self._rng.randint(2, 16) if category is Category.MAM else self._rng.randint(1, 4)
        return None

    def _management(self, category: Category) -> str | None:
        if category is Category.ASSISTANT_MATERNEL:
            return None
        return self._rng.choice([Management.MUNICIPALE, Management.ASSOCIATIVE, Management.PRIVEE_LUCRATIVE]).value

    def versions(self) -> Sized:
        return Sized(self._versions(), len(self._sites))

    def _versions(self) -> Iterator[tuple[Any, ...]]:
        templates = {category: _document(category) for category, _ in self._plan}
        for _provider, category, _type, _commune, establishment_id in self._sites:
            row = version_row(establishment_id, 1, templates[category], self._now - timedelta(days=40), None)
            yield tuple(json.dumps(row[c]) if c == "document" else row[c] for c in self.version_columns)

    def availabilities(self) -> Sized:
        eaje = [site for site in self._sites if site[1] is Category.EAJE]
        return Sized(self._availabilities(eaje), len(eaje) * 100)

    def _availabilities(
        self, eaje: Sequence[tuple[str, Category, EajeType | None, CommuneRef, str]]
    ) -> Iterator[tuple[Any, ...]]:
        days = [
            self._today + timedelta(days=n)
            for n in range(AVAILABILITY_DAYS)
            if (self._today + timedelta(days=n)).weekday() < 5
        ]
        communicated = self._now - timedelta(days=2)
        for _provider, _category, _type, _commune, establishment_id in eaje:
            batch = self._uuid()
            for day in days:
                if self._rng.random() < 0.22:
                    continue
                for slot in ("JOURNEE", "MATIN"):
                    places = self._rng.choice((0, 0, 1, 1, 2, 3))
                    yield (
                        establishment_id,
                        day,
                        slot,
                        places,
                        None,
                        "OCCASIONNEL",
                        communicated,
                        "TRANSMISSION_INFORMATISEE",
                        batch,
                        None,
                    )


def _document(category: Category) -> OperatingInfoDocument:
    hours = [OpeningSlot(day=d, opens=time(7, 30), closes=time(18, 30)) for d in WEEKDAYS]
    ages = {
        Category.EAJE: (Age(value=10, unit=AgeUnit.SEMAINE), Age(value=4, unit=AgeUnit.AN)),
        Category.ALSH: (Age(value=3, unit=AgeUnit.AN), Age(value=12, unit=AgeUnit.AN)),
        Category.LAEP: (Age(value=0, unit=AgeUnit.MOIS), Age(value=6, unit=AgeUnit.AN)),
        Category.MAM: (Age(value=2, unit=AgeUnit.MOIS), Age(value=6, unit=AgeUnit.AN)),
        Category.ASSISTANT_MATERNEL: (Age(value=2, unit=AgeUnit.MOIS), Age(value=6, unit=AgeUnit.AN)),
    }.get(category)
    return OperatingInfoDocument(
        opening_hours=hours,
        closure_periods=[ClosurePeriod.AOUT] if category is Category.EAJE else [],
        age_min=ages[0] if ages else None,
        age_max=ages[1] if ages else None,
        meals_provided=category is Category.EAJE,
        nappies_provided=category is Category.EAJE,
        national_fee_scale=category is Category.EAJE,
        fees="Barème national des participations familiales de la Cnaf." if category is Category.EAJE else None,
        funding=[Funding.PSU] if category in (Category.EAJE, Category.ALSH) else [],
        project="Un accueil attentif au rythme de chaque enfant.",
    )
