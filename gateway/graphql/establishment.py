"""The ``Establishment`` type: a structure as families see it."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import strawberry

from gateway.catalogue.documents import Age as AgeValue
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.domain import availability_state, size_class
from gateway.catalogue.records import EstablishmentRecord, OperatingInfoRecord
from gateway.catalogue.vocabulary import LABELS
from gateway.graphql.enums import AlshKind, Category, EajeType, Management, SizeClass
from gateway.graphql.relay import InvalidArgumentError, to_global_id
from gateway.graphql.types import (
    Address,
    Age,
    Availability,
    AvailabilityStatus,
    Caf,
    Commune,
    DatedClosure,
    GeoPoint,
    GraphQLInfo,
    Node,
    OpeningSlot,
    OperatingInfo,
    Provider,
    ServedCommune,
)

MAX_AVAILABILITY_DAYS = 92
DEFAULT_AVAILABILITY_DAYS = 14


@strawberry.type(description="Une structure d'accueil (crèche, accueil de loisirs, relais petite enfance…).")
class Establishment(Node):
    record: strawberry.Private[EstablishmentRecord]
    name: str
    category: Category
    eaje_type: EajeType | None = strawberry.field(description="Type d'EAJE (crèches seulement).")
    size_class: SizeClass | None = strawberry.field(description="Catégorie de taille, déduite de la capacité.")
    parental: bool = strawberry.field(description="Crèche parentale.")
    occasional_only: bool = strawberry.field(description="Accueil exclusivement occasionnel ou saisonnier.")
    alsh_kinds: list[AlshKind]
    avip: bool = strawberry.field(description="Crèche à vocation d'insertion professionnelle.")
    management: Management | None
    address: Address
    location: GeoPoint
    distance_km: float | None = strawberry.field(description="Distance au point le plus proche de la recherche.")
    phone: str | None
    phone2: str | None
    email: str | None
    website: str | None
    capacity: int | None = strawberry.field(description="Nombre de places agréées.")
    provider: Provider = strawberry.field(description="Le gestionnaire.")
    caf: Caf = strawberry.field(description="La Caf du lieu d'implantation.")

    @strawberry.field(description="Libellé du type de structure (« Crèche », « Relais petite enfance »…).")
    def category_label(self) -> str:
        return LABELS[self.category]

    @strawberry.field(description="Libellé du type d'EAJE (« Micro-crèche », « Multi-accueil »…).")
    def eaje_type_label(self) -> str | None:
        return LABELS[self.eaje_type] if self.eaje_type else None

    @strawberry.field(description="La commune d'implantation.")
    def commune(self) -> Commune:
        return Commune.from_record(self.record.commune)

    @strawberry.field(description="Les modalités de fonctionnement publiées, s'il y en a.")
    def operating_info(self) -> OperatingInfo | None:
        info = self.record.operating_info
        return operating_info(info) if info is not None else None

    @strawberry.field(description="État des disponibilités (crèches seulement).")
    def availability_status(self, info: GraphQLInfo) -> AvailabilityStatus | None:
        if self.category is not Category.EAJE:
            return None
        record = self.record
        upcoming = [(record.next_free_day, record.free_places_soon)] if record.next_free_day else []
        summary = availability_state(upcoming, record.availability_updated_at, _now(info))
        return AvailabilityStatus(
            state=summary.state,
            label=LABELS[summary.state],
            free_places=record.free_places_soon,
            next_date=summary.next_date,
            updated_at=record.availability_updated_at,
        )

    @strawberry.field(description="Places disponibles publiées entre deux dates (14 jours par défaut, 92 au plus).")
    async def availabilities(
        self,
        info: GraphQLInfo,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[Availability]:
        start = from_ or info.context.today
        end = to or start + timedelta(days=DEFAULT_AVAILABILITY_DAYS - 1)
        if end < start:
            raise InvalidArgumentError(f"availabilities: `to` ({end}) is before `from` ({start})")
        if (end - start).days >= MAX_AVAILABILITY_DAYS:
            raise InvalidArgumentError(f"availabilities: at most {MAX_AVAILABILITY_DAYS} days at a time")
        if self.category is not Category.EAJE:
            return []
        records = await info.context.loaders.availabilities.load((self.record.id, start, end))
        return [Availability.from_record(r) for r in records]

    @staticmethod
    def from_record(record: EstablishmentRecord, distance_km: float | None = None) -> "Establishment":
        return Establishment(
            id=strawberry.ID(to_global_id("Establishment", record.id)),
            record=record,
            name=record.name,
            category=record.category,
            eaje_type=record.eaje_type,
            size_class=size_class(record.eaje_type, record.capacity),
            parental=record.parental,
            occasional_only=record.occasional_only,
            alsh_kinds=list(record.alsh_kinds),
            avip=record.avip,
            management=record.management,
            address=Address(
                street_number=record.street_number,
                street_name=record.street_name,
                complement=record.address_complement,
                postal_code=record.postal_code,
                commune_insee=record.commune.insee,
                commune_name=record.commune.name,
            ),
            location=GeoPoint(latitude=record.latitude, longitude=record.longitude),
            distance_km=None if distance_km is None else round(distance_km, 3),
            phone=record.phone,
            phone2=record.phone2,
            email=record.email,
            website=record.website,
            capacity=record.capacity,
            provider=Provider.from_record(record.provider),
            caf=Caf.from_record(record.caf),
        )


def _now(info: GraphQLInfo) -> datetime:
    del info
    return datetime.now(UTC)


def operating_info(record: OperatingInfoRecord) -> OperatingInfo:
    document = OperatingInfoDocument.model_validate(record.document)
    return OperatingInfo(
        version=record.version,
        published_at=record.published_at,
        opening_hours=record.opening_hours,
        weekly_hours=[OpeningSlot(day=s.day, opens=s.opens, closes=s.closes) for s in document.opening_hours],
        hours_note=document.hours_note,
        by_appointment=document.by_appointment,
        closure_periods=list(document.closure_periods),
        dated_closures=[DatedClosure(start=c.start, end=c.end, label=c.label) for c in document.dated_closures],
        closed_on_public_holidays=document.closed_on_public_holidays,
        age_min=_age(document.age_min),
        age_max=_age(document.age_max),
        capacity=document.capacity,
        meals_provided=document.meals_provided,
        nappies_provided=document.nappies_provided,
        disability_welcome=document.disability_welcome,
        project=document.project,
        provider_presentation=document.provider_presentation,
        team=document.team,
        national_fee_scale=document.national_fee_scale,
        fees=document.fees,
        funding=list(document.funding),
        admission_conditions=document.admission_conditions,
        registration=document.registration,
        eligible_work_communes=list(document.eligible_work_communes),
        eligible_home_communes=list(document.eligible_home_communes),
        served_communes=[ServedCommune(name=c.name, postal_code=c.postal_code) for c in document.served_communes],
        care_kinds=list(document.care_kinds),
        languages=list(document.languages),
        accessibility_url=str(document.accessibility_url) if document.accessibility_url else None,
    )


def _age(age: AgeValue | None) -> Age | None:
    return None if age is None else Age(value=age.value, unit=age.unit, months=age.in_months())
