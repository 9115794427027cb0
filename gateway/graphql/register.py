"""Caf agents keep the register of their territory's establishments: record (create or update) and close."""

from datetime import UTC, date, datetime

import strawberry

from gateway.catalogue import register
from gateway.catalogue.register import Actor, EstablishmentEntry
from gateway.catalogue.vocabulary import Category, EajeType
from gateway.graphql.agent import establishment_key
from gateway.graphql.permissions import require_caf_agent
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.types import GraphQLInfo
from gateway.user_errors import UserError as Refusal
from shared.graphql_contract import UserError


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
