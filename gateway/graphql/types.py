"""The public catalogue's GraphQL types: nouns, described in French where families read them."""

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from gateway.catalogue.records import AvailabilityRecord, CafRecord, CommuneRecord, ProviderRecord
from gateway.graphql.context import Context
from gateway.graphql.enums import (
    AgeGroup,
    AvailabilityState,
    CareKind,
    Channel,
    ProviderKind,
    Slot,
)
from gateway.graphql.relay import to_global_id

GraphQLInfo = Info[Context, None]


@strawberry.interface(description="Un objet identifié globalement (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Identifiant global opaque.")


@strawberry.type(description="Caisse d'allocations familiales : son territoire est fait de départements.")
class Caf(Node):
    code: str = strawberry.field(description="Code interne de la Caf (par exemple CAF59).")
    label: str = strawberry.field(description="« Caisse d'allocations familiales du Nord ».")
    head_office: str = strawberry.field(description="Adresse du siège.")

    @strawberry.field(description="Départements couverts par la Caf.")
    async def departements(self, info: GraphQLInfo) -> list[str]:
        return await info.context.loaders.caf_departements.load(self.code)

    @staticmethod
    def from_record(record: CafRecord) -> "Caf":
        return Caf(
            id=strawberry.ID(to_global_id("Caf", record.code)),
            code=record.code,
            label=record.label,
            head_office=record.head_office,
        )


@strawberry.type(description="Commune (code officiel géographique de l'INSEE, distinct du code postal).")
class Commune(Node):
    insee: str = strawberry.field(description="Code INSEE (par exemple 59207 pour Escautpont).")
    name: str = strawberry.field(description="Nom de la commune.")
    departement: str = strawberry.field(description="Code du département.")
    postal_codes: list[str] = strawberry.field(description="Codes postaux (59278 pour Escautpont).")
    population: int = strawberry.field(description="Population municipale.")
    location: "GeoPoint" = strawberry.field(description="Position de référence de la commune.")

    @staticmethod
    def from_record(record: CommuneRecord) -> "Commune":
        return Commune(
            id=strawberry.ID(to_global_id("Commune", record.insee)),
            insee=record.insee,
            name=record.name,
            departement=record.departement,
            postal_codes=list(record.postal_codes),
            population=record.population,
            location=GeoPoint(latitude=record.latitude, longitude=record.longitude),
        )


@strawberry.type(description="Fournisseur de données : le gestionnaire des établissements (mairie, association…).")
class Provider(Node):
    name: str = strawberry.field(description="Dénomination (« Mairie d'Escautpont »).")
    kind: ProviderKind = strawberry.field(description="Nature du gestionnaire.")

    @staticmethod
    def from_record(record: ProviderRecord) -> "Provider":
        return Provider(id=strawberry.ID(to_global_id("Provider", record.id)), name=record.name, kind=record.kind)


@strawberry.type(description="Coordonnées WGS 84.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.type(description="Adresse postale.")
class Address:
    street_number: str | None
    street_name: str | None
    complement: str | None
    postal_code: str = strawberry.field(description="Code postal (différent du code INSEE).")
    commune_insee: str = strawberry.field(description="Code INSEE de la commune.")
    commune_name: str
    one_line: str = strawberry.field(description="L'adresse sur une ligne, comme sur une fiche de monenfant.fr.")

    @staticmethod
    def of(
        street_number: str | None,
        street_name: str | None,
        complement: str | None,
        postal_code: str,
        commune_name: str,
        commune_insee: str,
    ) -> "Address":
        """The address and its one line, built with it: a plain field costs the executor less than a resolver."""
        street = " ".join(part for part in (street_number, street_name) if part)
        one_line = ", ".join(part for part in (street, complement, f"{postal_code} {commune_name}") if part)
        return Address(
            street_number=street_number,
            street_name=street_name,
            complement=complement,
            postal_code=postal_code,
            commune_insee=commune_insee,
            commune_name=commune_name,
            one_line=one_line,
        )


@strawberry.type(description="Des places disponibles un jour donné (accueil ponctuel).")
class Availability:
    date: date
    slot: Slot
    places: int
    age_group: AgeGroup | None
    care_kind: CareKind
    communicated_at: datetime = strawberry.field(description="Date de transmission.")
    channel: Channel

    @staticmethod
    def from_record(record: AvailabilityRecord) -> "Availability":
        return Availability(
            date=record.day,
            slot=record.slot,
            places=record.places,
            age_group=record.age_group,
            care_kind=record.care_kind,
            communicated_at=record.communicated_at,
            channel=record.channel,
        )


@strawberry.type(description="Résumé des disponibilités d'une crèche pour les 14 prochains jours.")
class AvailabilityStatus:
    state: AvailabilityState
    label: str = strawberry.field(description="Libellé affiché (« Disponibilités non renseignées »…).")
    free_places: int = strawberry.field(description="Places libres cumulées sur les 14 prochains jours.")
    next_date: date | None = strawberry.field(description="Prochain jour avec des places libres.")
    updated_at: datetime | None = strawberry.field(description="Dernière mise à jour des disponibilités.")
    channel: Channel | None = strawberry.field(
        description="Canal de la dernière mise à jour : sa règle de fraîcheur s'applique (voir staleAfter)."
    )
    stale_after: datetime | None = strawberry.field(
        description="Sans nouvelle mise à jour, les disponibilités sont « périmées » après cet instant : une semaine "
        "après la dernière en saisie manuelle ; en transmission informatisée, dès que les sept derniers jours "
        "comptent moins de trois jours avec une transmission (arrêté du 31 août 2021)."
    )
