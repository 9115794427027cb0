"""Provider agents, or the Caf of their territory on their behalf, delegate the transmission of availabilities to a
software vendor: grant, rotate, revoke, list.

The client's secret is shown once, in the payload of the grant or the rotation; only its SHA-256 is kept. The
delegating agent's number recorded with the client (and with each of its transmissions, art. 3-4) is the number of
whoever granted it: the provider's agent, or the Caf agent acting for the provider.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import strawberry

from gateway.accounts import scope
from gateway.accounts.states import AgentKind, Right
from gateway.accounts.tokens import Claims
from gateway.catalogue import lookups
from gateway.graphql.agent import establishment_key
from gateway.graphql.permissions import require_agent, require_right
from gateway.graphql.relay import InvalidArgumentError, to_global_id
from gateway.graphql.scope import provider_key
from gateway.graphql.types import GraphQLInfo
from gateway.transmission import clients
from gateway.transmission.clients import GrantedClient
from gateway.transmission.credentials import NewCredentials
from shared.errors import ForbiddenError
from shared.graphql_contract import UserError

_NOT_A_MANAGER = "Réservé aux agents des gestionnaires et de leur Caf."


@strawberry.input(description="Un logiciel à qui confier la transmission des disponibilités de vos crèches.")
class GrantTransmissionClientInput:
    name: str
    establishment_ids: list[strawberry.ID]


MAX_CLIENTS = 200
"""Clients listed at most in one answer: a territory's vendors, several per provider at most."""


@strawberry.type(description="Les identifiants OAuth d'un logiciel : le secret n'est montré qu'une fois.")
class TransmissionClientPayload:
    client_id: str | None
    client_secret: str | None = strawberry.field(description="À transmettre à l'éditeur ; non conservé.")
    user_errors: list[UserError]


@strawberry.type
class RevokeTransmissionClientPayload:
    revoked: bool
    user_errors: list[UserError]


@strawberry.type(description="Un logiciel à qui la transmission des disponibilités a été confiée (sans son secret).")
class TransmissionClientView:
    client_id: str
    name: str
    provider_id: strawberry.ID
    establishment_ids: list[strawberry.ID]
    granted_by_agent_number: str | None = strawberry.field(
        description="Numéro de l'agent qui a délégué (art. 3-4) ; null pour le gestionnaire quand sa Caf a délégué."
    )
    granted_by_caf: bool = strawberry.field(description="La délégation a été donnée par un agent de la Caf.")
    granted_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def of(client: GrantedClient, *, by_caf: bool, caf_viewer: bool) -> "TransmissionClientView":
        """A Caf agent's number is the Caf's: its providers see that the Caf delegated, not who."""
        return TransmissionClientView(
            client_id=client.id,
            name=client.name,
            provider_id=strawberry.ID(to_global_id("Provider", client.provider_id)),
            establishment_ids=[strawberry.ID(to_global_id("Establishment", e)) for e in client.establishment_ids],
            granted_by_agent_number=client.granted_by if caf_viewer or not by_caf else None,
            granted_by_caf=by_caf,
            granted_at=client.granted_at,
            rotated_at=client.rotated_at,
            revoked_at=client.revoked_at,
        )


def _shown(found: NewCredentials) -> TransmissionClientPayload:
    return TransmissionClientPayload(client_id=found.client_id, client_secret=found.secret, user_errors=[])


def _not_found() -> list[UserError]:
    return [UserError(field="clientId", code="NOT_FOUND", message="Aucun logiciel de ce nom pour votre gestionnaire.")]


async def _own_client(info: GraphQLInfo, client_id: str) -> tuple[str, bool]:
    """The caller's agent number, and whether the client was granted for the caller's provider — or, for a Caf
    agent, for a provider of the Caf's territory."""
    claims = await require_agent(info.context)
    async with info.context.sessions() as session:
        provider = await clients.provider_of_client(session, client_id)
        if claims.kind == AgentKind.PROVIDER_AGENT:
            return claims.agent_number, provider is not None and provider == claims.provider_id
        if claims.kind != AgentKind.CAF_AGENT or claims.caf_code is None:
            raise ForbiddenError(_NOT_A_MANAGER)
        caf = None if provider is None else await lookups.get_provider_caf(session, provider)
    return claims.agent_number, caf == claims.caf_code


async def _delegating_provider(info: GraphQLInfo, keys: Sequence[str]) -> tuple[Claims, str | UserError]:
    """Who grants, and for which provider: a provider agent with the availability right on each establishment, or
    a Caf agent for establishments of one provider of its territory."""
    claims = await require_agent(info.context)
    if claims.kind != AgentKind.CAF_AGENT:
        # the availability right on each establishment, as for manual entry
        claims = [await require_right(info.context, key, Right.AVAILABILITY) for key in keys][-1]
        if claims.provider_id is None:
            raise ForbiddenError(_NOT_A_MANAGER)
        return claims, claims.provider_id
    async with info.context.sessions() as session:
        places = await lookups.get_places(session, keys)
        providers = {place.provider_id for place in places.values()}
        provider = providers.pop() if len(providers) == 1 and len(places) == len(set(keys)) else None
        caf = None if provider is None else await lookups.get_provider_caf(session, provider)
    if provider is None and len(providers) > 0:
        message = "Une délégation vaut pour les crèches d'un seul gestionnaire."
        return claims, UserError(field="establishmentIds", code="SEVERAL_PROVIDERS", message=message)
    if provider is None or caf != claims.caf_code:
        message = "Établissement introuvable sur le territoire de votre Caf."
        return claims, UserError(field="establishmentIds", code="NOT_FOUND", message=message)
    return claims, provider


@strawberry.type
class TransmissionMutations:
    @strawberry.mutation(
        description="Confier à un logiciel la transmission des disponibilités de vos crèches (agents de la Caf : "
        "des crèches d'un gestionnaire de votre territoire)."
    )
    async def grant_transmission_client(
        self, info: GraphQLInfo, input: GrantTransmissionClientInput
    ) -> TransmissionClientPayload:
        keys = [establishment_key(e, "establishmentIds") for e in input.establishment_ids]
        if not keys or not input.name.strip() or len(input.name) > 200:
            error = UserError(field="name", code="INVALID", message="Un nom (200 caractères au plus) et au moins "
                              "une crèche.")  # fmt: skip
            return TransmissionClientPayload(client_id=None, client_secret=None, user_errors=[error])
        claims, provider = await _delegating_provider(info, keys)
        if isinstance(provider, UserError):
            return TransmissionClientPayload(client_id=None, client_secret=None, user_errors=[provider])
        async with info.context.sessions() as session, session.begin():
            found = await clients.grant_client(
                session, name=input.name.strip(), provider_id=provider, establishment_ids=keys,
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


@strawberry.type
class TransmissionQueries:
    @strawberry.field(
        description="Les logiciels de transmission de votre gestionnaire ; agents de la Caf : ceux des gestionnaires "
        f"de votre territoire (d'un seul avec providerId). Les actifs d'abord, les plus récents d'abord ; first : "
        f"{MAX_CLIENTS} au plus."
    )
    async def transmission_clients(
        self, info: GraphQLInfo, provider_id: strawberry.ID | None = None, first: int = MAX_CLIENTS
    ) -> list[TransmissionClientView]:
        claims = await require_agent(info.context)
        if not 1 <= first <= MAX_CLIENTS:
            raise InvalidArgumentError(f"first : doit être compris entre 1 et {MAX_CLIENTS} (reçu {first}).")
        wanted = None if provider_id is None else provider_key(provider_id)
        async with info.context.sessions() as session:
            if claims.kind == AgentKind.CAF_AGENT and claims.caf_code is not None:
                territory = lookups.providers_in_caf(claims.caf_code)
                found = await clients.list_clients(session, territory, only=wanted, limit=first)
            elif claims.kind == AgentKind.PROVIDER_AGENT and claims.provider_id is not None:
                found = await clients.list_clients(session, [claims.provider_id], only=wanted, limit=first)
            else:
                raise ForbiddenError(_NOT_A_MANAGER)
            agents = await scope.provider_agent_numbers(session, [client.granted_by for client in found])
        caf_viewer = claims.kind == AgentKind.CAF_AGENT
        return [
            TransmissionClientView.of(c, by_caf=agents.get(c.granted_by) != c.provider_id, caf_viewer=caf_viewer)
            for c in found
        ]
