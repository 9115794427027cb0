"""The ``Establishment`` type: a structure as families see it."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import strawberry

from gateway.catalogue.documents import Age as AgeValue
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.domain import availability_state, size_class
from gateway.catalogue.records import EstablishmentRecord, OperatingInfoRecord
from gateway.catalogue.vocabulary import LABELS
from gateway.graphql.enums import (
    AgeUnit,
    AlshKind,
    CareKind,
    Category,
    ClosurePeriod,
    EajeType,
    Funding,
    Management,
    SizeClass,
    Weekday,
)
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
        summary = availability_state(
            upcoming, record.availability_updated_at, datetime.now(UTC), today=info.context.today
        )
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
            raise InvalidArgumentError(f"to : la fin ({end}) précède le début ({start}).")
        if (end - start).days >= MAX_AVAILABILITY_DAYS:
            raise InvalidArgumentError(f"to : {MAX_AVAILABILITY_DAYS} jours au plus à la fois.")
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


# What a stored document leaves out is its model's default (documents are stored with ``exclude_defaults``).
_DEFAULTS = {
    name: field.get_default(call_default_factory=True) for name, field in OperatingInfoDocument.model_fields.items()
}


def operating_info(record: OperatingInfoRecord) -> OperatingInfo:
    """The published document as GraphQL objects, straight from its stored JSON (validated when it was written)."""
    stored = record.document

    def get(name: str) -> Any:
        return stored.get(name, _DEFAULTS[name])

    return OperatingInfo(
        version=record.version,
        published_at=record.published_at,
        opening_hours=record.opening_hours,
        weekly_hours=[
            OpeningSlot(
                day=Weekday(s["day"]), opens=time.fromisoformat(s["opens"]), closes=time.fromisoformat(s["closes"])
            )
            for s in get("opening_hours")
        ],
        hours_note=get("hours_note"),
        by_appointment=get("by_appointment"),
        closure_periods=[ClosurePeriod(p) for p in get("closure_periods")],
        dated_closures=[
            DatedClosure(
                start=date.fromisoformat(c["start"]), end=date.fromisoformat(c["end"]), label=c.get("label", "")
            )
            for c in get("dated_closures")
        ],
        closed_on_public_holidays=get("closed_on_public_holidays"),
        age_min=_age(get("age_min")),
        age_max=_age(get("age_max")),
        capacity=get("capacity"),
        meals_provided=get("meals_provided"),
        nappies_provided=get("nappies_provided"),
        disability_welcome=get("disability_welcome"),
        project=get("project"),
        provider_presentation=get("provider_presentation"),
        team=get("team"),
        national_fee_scale=get("national_fee_scale"),
        fees=get("fees"),
        funding=[Funding(f) for f in get("funding")],
        admission_conditions=get("admission_conditions"),
        registration=get("registration"),
        eligible_work_communes=list(get("eligible_work_communes")),
        eligible_home_communes=list(get("eligible_home_communes")),
        served_communes=[ServedCommune(name=c["name"], postal_code=c["postal_code"]) for c in get("served_communes")],
        care_kinds=[CareKind(k) for k in get("care_kinds")],
        languages=list(get("languages")),
        accessibility_url=get("accessibility_url"),
    )


def _age(stored: dict[str, Any] | None) -> Age | None:
    if stored is None:
        return None
    age = AgeValue(value=stored["value"], unit=AgeUnit(stored["unit"]))
    return Age(value=age.value, unit=age.unit, months=age.in_months())
