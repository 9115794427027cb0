"""Caf agents keep the register of their territory's establishments: read it (open and closed), record (create or
update) and close."""

from datetime import UTC, date, datetime

import strawberry

from gateway.catalogue import register, register_entries
from gateway.catalogue.register import Actor, EstablishmentEntry
from gateway.catalogue.register_entries import RegisteredProviderEntry, RegisterEntry, RegisterSearch
from gateway.catalogue.vocabulary import LABELS, Category, EajeType
from gateway.graphql.agent import establishment_key
from gateway.graphql.permissions import require_caf_agent
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.statuses import RegisterStatus, label_of
from gateway.graphql.types import GraphQLInfo
from gateway.user_errors import UserError as Refusal
from shared.graphql_contract import Connection, PageArgumentError, UserError, connection_of, page_of

MAX_PROVIDERS = 200


@strawberry.input(description="Un établissement du registre de la Caf ; sans `id`, il est créé.")
class EstablishmentRecordInput:
    id: strawberry.ID | None = None
    provider_id: strawberry.ID | None = strawberry.field(default=None, description="Obligatoire à la création.")
    name: str
    category: Category
    eaje_type: EajeType | None = None
    street_number: str | None = None
    street_name: str | None = None
    postal_code: str
    commune_insee: str
    latitude: float
    longitude: float
    capacity: int | None = None


@strawberry.input
class CloseEstablishmentInput:
    establishment_id: strawberry.ID
    closed_on: date = strawberry.field(description="À partir de ce jour, il n'est plus affiché.")
    reason: str


@strawberry.type
class EstablishmentRecordPayload:
    establishment_id: strawberry.ID | None
    user_errors: list[UserError]


def _errors(errors: list[Refusal]) -> list[UserError]:
    return [UserError(field=e.field, message=e.message, code=e.code) for e in errors]


def _provider_key(global_id: str | None) -> str | None:
    if global_id is None:
        return None
    kind, key = from_global_id(global_id, argument="providerId")
    if kind != "Provider":
        raise InvalidArgumentError(f"providerId : « {global_id} » n'est pas l'identifiant d'un fournisseur.")
    return key


@strawberry.input(description="Les critères de recherche dans le registre ; un critère absent ne filtre pas.")
class RegisterFilter:
    name: str | None = strawberry.field(default=None, description="Une partie du nom de l'établissement.")
    commune: str | None = strawberry.field(
        default=None, description="Code INSEE, code postal ou début du nom de la commune."
    )
    category: Category | None = None
    provider_id: strawberry.ID | None = None
    status: RegisterStatus | None = None


@strawberry.type(description="Un gestionnaire du territoire de la Caf.")
class TerritoryProvider:
    id: strawberry.ID
    name: str
    siret: str | None

    @staticmethod
    def of(entry: RegisteredProviderEntry) -> "TerritoryProvider":
        return TerritoryProvider(
            id=strawberry.ID(to_global_id("Provider", entry.id)), name=entry.name, siret=entry.siret
        )


@strawberry.type(description="Un établissement du registre de la Caf, ouvert ou fermé.")
class RegisteredEstablishment:
    id: strawberry.ID
    name: str
    category: Category
    eaje_type: EajeType | None
    provider: TerritoryProvider
    street_number: str | None
    street_name: str | None
    postal_code: str
    commune_insee: str
    commune_name: str
    latitude: float
    longitude: float
    capacity: int | None
    closed_on: date | None = strawberry.field(description="Jour où il a quitté (ou quittera) le catalogue public.")
    closure_reason: str | None
    status: RegisterStatus = strawberry.field(description="Affiché au catalogue public aujourd'hui, ou fermé.")

    @strawberry.field(description="Libellé du type de structure.")
    def category_label(self) -> str:
        return LABELS[self.category]

    @strawberry.field(description="Libellé du type d'EAJE.")
    def eaje_type_label(self) -> str | None:
        return LABELS[self.eaje_type] if self.eaje_type else None

    @strawberry.field(description="L'état, en français.")
    def status_label(self) -> str:
        return label_of(self.status)


def _registered(entry: RegisterEntry, today: date) -> RegisteredEstablishment:
    closed = entry.closed_on is not None and entry.closed_on <= today
    return RegisteredEstablishment(
        id=strawberry.ID(to_global_id("Establishment", entry.id)),
        name=entry.name,
        category=entry.category,
        eaje_type=entry.eaje_type,
        provider=TerritoryProvider.of(entry.provider),
        street_number=entry.street_number,
        street_name=entry.street_name,
        postal_code=entry.postal_code,
        commune_insee=entry.commune_insee,
        commune_name=entry.commune_name,
        latitude=entry.latitude,
        longitude=entry.longitude,
        capacity=entry.capacity,
        closed_on=entry.closed_on,
        closure_reason=entry.closure_reason,
        status=RegisterStatus.FERME if closed else RegisterStatus.OUVERT,
    )


def _search(caf_code: str, today: date, filter: RegisterFilter | None) -> RegisterSearch:
    if filter is None:
        return RegisterSearch(caf_code, today)
    provider = _provider_key(filter.provider_id)
    return RegisterSearch(caf_code, today, filter.name, filter.commune, filter.category, provider, filter.status)


@strawberry.type
class RegisterQueries:
    @strawberry.field(
        description="Le registre des établissements du territoire de votre Caf, ouverts et fermés, par nom "
        "(agents de la Caf)."
    )
    async def establishment_register(
        self, info: GraphQLInfo, filter: RegisterFilter | None = None, first: int = 50, after: str | None = None
    ) -> Connection[RegisteredEstablishment]:
        claims = await require_caf_agent(info.context)
        page, today = page_of(first, after), info.context.today
        search = _search(str(claims.caf_code), today, filter)
        async with info.context.sessions() as session:
            found = await register_entries.list_register(session, search, offset=page.offset, limit=page.limit)
            total = await register_entries.count_register(session, search)
        return connection_of([_registered(entry, today) for entry in found], page, total)

    @strawberry.field(
        description="Les gestionnaires de votre Caf et ceux des établissements de son territoire, par nom ; "
        "search garde ceux dont le nom contient le texte ou dont le SIRET commence par lui (agents de la Caf)."
    )
    async def territory_providers(
        self, info: GraphQLInfo, search: str | None = None, first: int = 100
    ) -> list[TerritoryProvider]:
        claims = await require_caf_agent(info.context)
        if not 1 <= first <= MAX_PROVIDERS:
            raise PageArgumentError(f"first : doit être compris entre 1 et {MAX_PROVIDERS} (reçu {first}).")
        async with info.context.sessions() as session:
            found = await register_entries.list_territory_providers(session, str(claims.caf_code), search, limit=first)
        return [TerritoryProvider.of(entry) for entry in found]


@strawberry.type
class RegisterMutations:
    @strawberry.mutation(description="Créer ou mettre à jour un établissement du territoire (agents de la Caf) ; "
                         "la modification est publiée aussitôt.")  # fmt: skip
    async def record_establishment(
        self, info: GraphQLInfo, input: EstablishmentRecordInput
    ) -> EstablishmentRecordPayload:
        claims = await require_caf_agent(info.context)
        entry = EstablishmentEntry(
            id=establishment_key(input.id) if input.id else None, provider_id=_provider_key(input.provider_id),
            name=input.name, category=input.category, eaje_type=input.eaje_type, street_number=input.street_number,
            street_name=input.street_name, postal_code=input.postal_code, commune_insee=input.commune_insee,
            latitude=input.latitude, longitude=input.longitude, capacity=input.capacity,
        )  # fmt: skip
        actor = Actor(str(claims.caf_code), claims.agent_number)
        async with info.context.sessions() as session, session.begin():
            result = await register.record_establishment(
                session, entry, actor, now=datetime.now(UTC), signal=info.context.signal
            )
        if isinstance(result, list):
            return EstablishmentRecordPayload(establishment_id=None, user_errors=_errors(result))
        return EstablishmentRecordPayload(
            establishment_id=strawberry.ID(to_global_id("Establishment", result)), user_errors=[]
        )

    @strawberry.mutation(description="Fermer un établissement du territoire (agents de la Caf) : il quitte le "
                         "catalogue public à la date dite ; la fermeture est publiée aussitôt.")  # fmt: skip
    async def close_establishment(
        self, info: GraphQLInfo, input: CloseEstablishmentInput
    ) -> EstablishmentRecordPayload:
        claims = await require_caf_agent(info.context)
        key = establishment_key(input.establishment_id)
        actor = Actor(str(claims.caf_code), claims.agent_number)
        async with info.context.sessions() as session, session.begin():
            errors = await register.close_establishment(
                session, key, input.closed_on, input.reason, actor, now=datetime.now(UTC), signal=info.context.signal
            )
        if errors:
            return EstablishmentRecordPayload(establishment_id=None, user_errors=_errors(errors))
        return EstablishmentRecordPayload(establishment_id=input.establishment_id, user_errors=[])
