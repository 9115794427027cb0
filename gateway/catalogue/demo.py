"""The Nord demo: the Escautpont town hall and its establishments (domain brief §8), with neighbours.

Names of establishments and people are fictitious; communes, codes and the convention's parties are real.
Availabilities are dated relative to today so that « places this week » always finds some.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import writes
from gateway.catalogue.documents import (
    Age,
    OpeningSlot,
    OperatingInfoDocument,
    ServedCommune,
)
from gateway.catalogue.tables import communes, establishments
from gateway.catalogue.vocabulary import (
    AgeGroup,
    AgeUnit,
    AlshKind,
    CareKind,
    Category,
    Channel,
    ClosurePeriod,
    EajeType,
    Funding,
    Management,
    ProviderKind,
    Slot,
    Weekday,
)

ESCAUTPONT, VALENCIENNES, ANZIN, CONDE, RAISMES, FRESNES = "59207", "59606", "59014", "59153", "59491", "59253"
MAIRIE_ESCAUTPONT = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1001"
MULTI_ACCUEIL = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001"
MICRO_CRECHE = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2002"
ACCUEIL_LOISIRS = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2003"
RELAIS = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2004"
WEEKDAYS = (Weekday.LUNDI, Weekday.MARDI, Weekday.MERCREDI, Weekday.JEUDI, Weekday.VENDREDI)


def _hours(days: tuple[Weekday, ...], *slots: tuple[str, str]) -> list[OpeningSlot]:
    return [
        OpeningSlot(day=d, opens=time.fromisoformat(a), closes=time.fromisoformat(b)) for d in days for a, b in slots
    ]


MULTI_ACCUEIL_INFO = OperatingInfoDocument(
    opening_hours=_hours(WEEKDAYS, ("07:30", "18:30")),
    closure_periods=[ClosurePeriod.AOUT, ClosurePeriod.NOEL_NOUVEL_AN],
    age_min=Age(value=10, unit=AgeUnit.SEMAINE),
    age_max=Age(value=4, unit=AgeUnit.AN),
    capacity=20,
    meals_provided=True,
    nappies_provided=True,
    disability_welcome="Les enfants en situation de handicap sont accueillis après un temps d'échange avec la famille.",
    project="Un accueil collectif attentif au rythme de chaque enfant, ouvert sur la médiathèque et le jardin.",
    national_fee_scale=True,
    fees="Le multi-accueil applique le barème national des participations familiales de la Cnaf.",
    funding=[Funding.PSU],
    admission_conditions="Priorité aux familles résidant à Escautpont.",
    registration="Dossier à retirer en mairie, rue Henri Durre.",
    served_communes=[ServedCommune(name="Escautpont", postal_code="59278")],
    care_kinds=[CareKind.REGULIER, CareKind.OCCASIONNEL],
)

MICRO_CRECHE_INFO = OperatingInfoDocument(
    opening_hours=_hours(WEEKDAYS, ("07:00", "19:00")),
    closure_periods=[ClosurePeriod.NOEL_NOUVEL_AN],
    age_min=Age(value=3, unit=AgeUnit.MOIS),
    age_max=Age(value=3, unit=AgeUnit.AN),
    capacity=12,
    meals_provided=True,
    nappies_provided=True,
    funding=[Funding.PAJE],
    fees="Tarif horaire dégressif ; complément de libre choix du mode de garde de la Caf.",
    care_kinds=[CareKind.REGULIER, CareKind.OCCASIONNEL],
)

ALSH_INFO = OperatingInfoDocument(
    opening_hours=[
        *_hours(
            (Weekday.LUNDI, Weekday.MARDI, Weekday.JEUDI, Weekday.VENDREDI), ("07:30", "08:30"), ("16:30", "18:30")
        ),
        *_hours((Weekday.MERCREDI,), ("07:30", "18:30")),
    ],
    hours_note="Pendant les vacances scolaires (zone B) : du lundi au vendredi de 8 h à 18 h.",
    age_min=Age(value=3, unit=AgeUnit.AN),
    age_max=Age(value=12, unit=AgeUnit.AN),
    meals_provided=True,
    project="Activités sportives, culturelles et de plein air, en lien avec les écoles de la commune.",
    funding=[Funding.PSU],
)

RELAIS_INFO = OperatingInfoDocument(
    opening_hours=_hours((Weekday.MARDI, Weekday.JEUDI), ("09:00", "12:00"), ("13:30", "17:00")),
    by_appointment=True,
    project="Information des parents et des assistants maternels, ateliers d'éveil itinérants.",
)


@dataclass(frozen=True)
class DemoEstablishment:
    id: str
    name: str
    commune: str
    postal_code: str
    street: str
    category: Category
    provider: str
    offset: tuple[float, float]
    eaje_type: EajeType | None = None
    capacity: int | None = None
    management: Management | None = None
    alsh_kinds: tuple[AlshKind, ...] = ()
    info: OperatingInfoDocument | None = None
    availability_plan: str = ""
    """``fresh`` (communicated 2 days ago), ``stale`` (10 days ago), ``full`` (fresh, no free place) or none."""


PROVIDERS: list[dict[str, Any]] = [
    {
        "id": MAIRIE_ESCAUTPONT,
        "name": "Mairie d'Escautpont",
        "kind": ProviderKind.COMMUNE.value,
        "siret": "21590207300018",
        "street": "rue Henri Durre",
        "postal_code": "59278",
        "commune_insee": ESCAUTPONT,
        "representative_name": "Raphaël KRUSZYNSKI",
        "representative_title": "Maire",
        "caf_code": "CAF59",
    },
    {"id": "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1002", "name": "Le Jardin de l'Escaut SAS", "kind": "ENTREPRISE"},
    {"id": "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1003", "name": "CA de la Porte du Hainaut", "kind": "EPCI"},
    {"id": "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1004", "name": "CCAS de Valenciennes", "kind": "CCAS"},
    {
        "id": "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1005",
        "name": "Association Les Petits Loups d'Anzin",
        "kind": "ASSOCIATION",
    },
    {"id": "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1006", "name": "Mairie de Condé-sur-l'Escaut", "kind": "COMMUNE"},
]


def _p(index: int) -> str:
    return str(PROVIDERS[index]["id"])


ESTABLISHMENTS = [
    DemoEstablishment(
        MULTI_ACCUEIL,
        "Multi-accueil Les P'tits Mineurs",
        ESCAUTPONT,
        "59278",
        "rue Henri Durre",
        Category.EAJE,
        _p(0),
        (0.002, 0.001),
        EajeType.MULTI_ACCUEIL,
        20,
        Management.MUNICIPALE,
        info=MULTI_ACCUEIL_INFO,
        availability_plan="fresh",
    ),
    DemoEstablishment(
        MICRO_CRECHE,
        "Micro-crèche Le Jardin de l'Escaut",
        ESCAUTPONT,
        "59278",
        "rue Jean Jaurès",
        Category.EAJE,
        _p(1),
        (-0.003, 0.004),
        EajeType.MICRO_CRECHE,
        12,
        Management.PRIVEE_LUCRATIVE,
        info=MICRO_CRECHE_INFO,
        availability_plan="full",
    ),
    DemoEstablishment(
        ACCUEIL_LOISIRS,
        "Accueil de loisirs municipal d'Escautpont",
        ESCAUTPONT,
        "59278",
        "place de la Mairie",
        Category.ALSH,
        _p(0),
        (0.001, -0.002),
        management=Management.MUNICIPALE,
        alsh_kinds=(AlshKind.PERISCOLAIRE, AlshKind.EXTRASCOLAIRE, AlshKind.MERCREDIS),
        info=ALSH_INFO,
    ),
    DemoEstablishment(
        RELAIS,
        "Relais Petite Enfance de la Porte du Hainaut (antenne)",
        ESCAUTPONT,
        "59278",
        "rue de Condé",
        Category.RPE,
        _p(2),
        (-0.001, -0.003),
        management=Management.INTERCOMMUNALE,
        info=RELAIS_INFO,
    ),
    DemoEstablishment(
        "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2005",
        "Multi-accueil Les Lucioles",
        VALENCIENNES,
        "59300",
        "avenue de Liège",
        Category.EAJE,
        _p(3),
        (0.004, 0.002),
        EajeType.MULTI_ACCUEIL,
        45,
        Management.CCAS_CIAS,
        info=MULTI_ACCUEIL_INFO.model_copy(update={"capacity": 45}),
        availability_plan="fresh",
    ),
    DemoEstablishment(
        "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2006",
        "Crèche familiale Les Petits Loups",
        ANZIN,
        "59410",
        "rue Jean Jaurès",
        Category.EAJE,
        _p(4),
        (0.001, 0.003),
        EajeType.CRECHE_FAMILIALE,
        35,
        Management.ASSOCIATIVE,
    ),
    DemoEstablishment(
        "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2007",
        "Halte-garderie Les Petits Pas",
        CONDE,
        "59163",
        "place Pierre Delcourt",
        Category.EAJE,
        _p(5),
        (-0.002, 0.001),
        EajeType.HALTE_GARDERIE,
        16,
        Management.MUNICIPALE,
        availability_plan="stale",
    ),
    DemoEstablishment(
        "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2008",
        "Lieu d'accueil enfants-parents La Passerelle",
        FRESNES,
        "59970",
        "rue Jean Jaurès",
        Category.LAEP,
        _p(2),
        (0.002, -0.001),
        management=Management.INTERCOMMUNALE,
    ),
    DemoEstablishment(
        "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2009",
        "Maison d'assistants maternels Les Bouts d'Chou",
        RAISMES,
        "59590",
        "rue Henri Barbusse",
        Category.MAM,
        _p(2),
        (0.001, 0.001),
    ),
]


async def load_demo(session: AsyncSession, *, now: datetime | None = None) -> bool:
    """Insert the demo unless it is there already; returns whether it loaded anything."""
    if await session.scalar(select(func.count()).select_from(establishments)):
        return False
    now = now or datetime.now(UTC)
    places = await _commune_positions(session, {e.commune for e in ESTABLISHMENTS})
    for provider in PROVIDERS:
        await writes.add_provider(session, **({"caf_code": "CAF59"} | provider))
    for item in ESTABLISHMENTS:
        await _add(session, item, places[item.commune], now=now)
    return True


async def _commune_positions(session: AsyncSession, codes: set[str]) -> Mapping[str, tuple[float, float, str]]:
    rows = await session.execute(
        select(communes.c.insee, communes.c.latitude, communes.c.longitude, communes.c.departement).where(
            communes.c.insee.in_(sorted(codes))
        )
    )
    return {insee: (lat, lon, dep) for insee, lat, lon, dep in rows}


async def _add(
    session: AsyncSession, item: DemoEstablishment, place: tuple[float, float, str], *, now: datetime
) -> None:
    latitude, longitude, departement = place
    await writes.add_establishment(
        session,
        id=item.id,
        name=item.name,
        category=item.category.value,
        eaje_type=item.eaje_type.value if item.eaje_type else None,
        alsh_kinds=[k.value for k in item.alsh_kinds],
        management=item.management.value if item.management else None,
        provider_id=item.provider,
        street_name=item.street,
        postal_code=item.postal_code,
        commune_insee=item.commune,
        departement=departement,
        latitude=round(latitude + item.offset[0], 6),
        longitude=round(longitude + item.offset[1], 6),
        capacity=item.capacity,
        updated_at=now,
    )
    if item.info is not None:
        await writes.publish_operating_info(
            session, item.id, item.info, published_at=now - timedelta(days=30), agent_number="59-ESC-0001"
        )
    if item.availability_plan:
        await _publish_availabilities(session, item, now=now)


async def _publish_availabilities(session: AsyncSession, item: DemoEstablishment, *, now: datetime) -> None:
    age = 10 if item.availability_plan == "stale" else 2
    communicated = now - timedelta(days=age)
    first_day = communicated.date() + timedelta(days=3)  # the legal notice: 3 days before the date at the latest
    batch = []
    for offset in range(12):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        free = 0 if item.availability_plan == "full" else (2 if offset % 3 == 0 else 1)
        batch.append(writes.NewAvailability(day=day, slot=Slot.JOURNEE, places=free, age_group=AgeGroup.MOYENS))
        if offset % 2 == 0:
            batch.append(writes.NewAvailability(day=day, slot=Slot.MATIN, places=0 if free == 0 else 1))
    await writes.replace_availabilities(
        session,
        item.id,
        batch,
        communicated_at=communicated,
        channel=Channel.SAISIE_ESPACE_PRO,
        agent_number="59-ESC-0001",
    )
