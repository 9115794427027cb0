"""Provider agents delegate the transmission of availabilities to a software vendor: grant, rotate, revoke.

The client's secret is shown once, in the payload of the grant or the rotation; only its SHA-256 is kept.
"""

from datetime import UTC, datetime

import strawberry

from gateway.accounts.states import AgentKind, Right
from gateway.graphql.agent import establishment_key
from gateway.graphql.permissions import require_agent, require_right
from gateway.graphql.types import GraphQLInfo
from gateway.transmission import clients
from gateway.transmission.credentials import NewCredentials
from shared.errors import ForbiddenError
from shared.graphql_contract import UserError


@strawberry.input(description="Un logiciel à qui confier la transmission des disponibilités de vos crèches.")
class GrantTransmissionClientInput:
    name: str
    establishment_ids: list[strawberry.ID]


@strawberry.type(description="Les identifiants OAuth d'un logiciel : le secret n'est montré qu'une fois.")
class TransmissionClientPayload:
    client_id: str | None
    client_secret: str | None = strawberry.field(description="À transmettre à l'éditeur ; non conservé.")
    user_errors: list[UserError]


@strawberry.type
class RevokeTransmissionClientPayload:
    revoked: bool
    user_errors: list[UserError]


def _shown(found: NewCredentials) -> TransmissionClientPayload:
    return TransmissionClientPayload(client_id=found.client_id, client_secret=found.secret, user_errors=[])


def _not_found() -> list[UserError]:
    return [UserError(field="clientId", code="NOT_FOUND", message="Aucun logiciel de ce nom pour votre gestionnaire.")]


async def _own_client(info: GraphQLInfo, client_id: str) -> tuple[str, bool]:
    """The caller's agent number, and whether the client was granted by the caller's provider."""
    claims = await require_agent(info.context)
    if claims.kind != AgentKind.PROVIDER_AGENT:
        raise ForbiddenError("Réservé aux agents des gestionnaires.")
    async with info.context.sessions() as session:
        provider = await clients.provider_of_client(session, client_id)
    return claims.agent_number, provider is not None and provider == claims.provider_id


@strawberry.type
class TransmissionMutations:
    @strawberry.mutation(description="Confier à un logiciel la transmission des disponibilités de vos crèches.")
    async def grant_transmission_client(
        self, info: GraphQLInfo, input: GrantTransmissionClientInput
    ) -> TransmissionClientPayload:
        keys = [establishment_key(e, "establishmentIds") for e in input.establishment_ids]
        if not keys or not input.name.strip() or len(input.name) > 200:
            error = UserError(field="name", code="INVALID", message="Un nom (200 caractères au plus) et au moins "
                              "une crèche.")  # fmt: skip
            return TransmissionClientPayload(client_id=None, client_secret=None, user_errors=[error])
        # the availability right on each establishment, as for manual entry
        claims = [await require_right(info.context, key, Right.AVAILABILITY) for key in keys][-1]
        if claims.provider_id is None:
            raise ForbiddenError("Réservé aux agents des gestionnaires.")
        async with info.context.sessions() as session, session.begin():
            found = await clients.grant_client(
                session, name=input.name.strip(), provider_id=claims.provider_id, establishment_ids=keys,
                agent_number=claims.agent_number, now=datetime.now(UTC),
            )  # fmt: skip
        return _shown(found)

    @strawberry.mutation(description="Un nouveau secret pour un logiciel ; l'ancien et ses jetons cessent aussitôt.")
    async def rotate_transmission_client_secret(self, info: GraphQLInfo, client_id: str) -> TransmissionClientPayload:
        _, owned = await _own_client(info, client_id)
        found = None
        if owned:
            async with info.context.sessions() as session, session.begin():
                found = await clients.rotate_secret(session, client_id, now=datetime.now(UTC))
        if found is None:
            return TransmissionClientPayload(client_id=None, client_secret=None, user_errors=_not_found())
        return _shown(found)

    @strawberry.mutation(description="Retirer la délégation à un logiciel : ses jetons sont refusés aussitôt.")
    async def revoke_transmission_client(self, info: GraphQLInfo, client_id: str) -> RevokeTransmissionClientPayload:
        agent_number, owned = await _own_client(info, client_id)
        revoked = False
        if owned:
            async with info.context.sessions() as session, session.begin():
                revoked = await clients.revoke_client(
                    session, client_id, agent_number=agent_number, now=datetime.now(UTC)
                )
        return RevokeTransmissionClientPayload(revoked=revoked, user_errors=[] if revoked else _not_found())
