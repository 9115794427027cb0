"""The ``Establishment`` type: a structure as families see it."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import strawberry

from gateway.catalogue.domain import availability_state, size_class, stale_after
from gateway.catalogue.records import EstablishmentRecord
from gateway.catalogue.vocabulary import LABELS
from gateway.graphql.enums import (
    AlshKind,
    Category,
    EajeType,
    Management,
    SizeClass,
)
from gateway.graphql.operating_info import OperatingInfo, operating_info
from gateway.graphql.relay import InvalidArgumentError, to_global_id
from gateway.graphql.types import (
    Address,
    Availability,
    AvailabilityStatus,
    Caf,
    Commune,
    GeoPoint,
    GraphQLInfo,
    Node,
    Provider,
)
from gateway.response_cache.freshness import valid_until

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
    # A plain field, not a resolver: strawberry runs a resolver through its argument and extension machinery for
    # every establishment of a page, which cost the normal read path more than building the object itself.
    operating_info: OperatingInfo | None = strawberry.field(
        description="Les modalités de fonctionnement publiées, s'il y en a."
    )

    @strawberry.field(description="Le gestionnaire.")
    def provider(self) -> Provider:
        return Provider.from_record(self.record.provider)

    @strawberry.field(description="La Caf du lieu d'implantation.")
    def caf(self) -> Caf:
        return Caf.from_record(self.record.caf)

    @strawberry.field(description="Libellé du type de structure (« Crèche », « Relais petite enfance »…).")
    def category_label(self) -> str:
        return LABELS[self.category]

    @strawberry.field(description="Libellé du type d'EAJE (« Micro-crèche », « Multi-accueil »…).")
    def eaje_type_label(self) -> str | None:
        return LABELS[self.eaje_type] if self.eaje_type else None

    @strawberry.field(description="La commune d'implantation.")
    def commune(self) -> Commune:
        return Commune.from_record(self.record.commune)

    @strawberry.field(description="État des disponibilités (crèches seulement).")
    def availability_status(self, info: GraphQLInfo) -> AvailabilityStatus | None:
        if self.category is not Category.EAJE:
            return None
        record = self.record
        upcoming = [(record.next_free_day, record.free_places_soon)] if record.next_free_day else []
        now, updated, deadline = datetime.now(UTC), record.availability_updated_at, record.availability_stale_after
        summary = availability_state(upcoming, updated, now, today=info.context.today, deadline=deadline)
        turns = None if updated is None else stale_after(updated, deadline)
        if turns is not None and turns > now:
            valid_until(turns)  # then « périmées »: a cached answer expires
        return AvailabilityStatus(
            state=summary.state,
            label=LABELS[summary.state],
            free_places=record.free_places_soon,
            next_date=summary.next_date,
            updated_at=updated,
            channel=record.availability_channel,
            stale_after=turns,
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
    def from_record(
        record: EstablishmentRecord,
        distance_km: float | None = None,
        info_keys: frozenset[str] | None = None,
        *,
        with_info: bool = True,
    ) -> "Establishment":
        """``info_keys``: the operating information's document keys the request selects (None: all of them);
        ``with_info=False`` when it does not select the operating information at all (then left ``None``)."""
        info = record.operating_info if with_info else None
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
            address=Address.of(
                record.street_number,
                record.street_name,
                record.address_complement,
                record.postal_code,
                record.commune.name,
                record.commune.insee,
            ),
            location=GeoPoint(latitude=record.latitude, longitude=record.longitude),
            distance_km=None if distance_km is None else round(distance_km, 3),
            phone=record.phone,
            phone2=record.phone2,
            email=record.email,
            website=record.website,
            capacity=record.capacity,
            operating_info=None if info is None else operating_info(info, info_keys),
        )
