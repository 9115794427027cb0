"""Integrators' webhooks: endpoints (registered with an API key), their secrets shown once, the delivery log,
the dead-letter list and its replay. The dispatcher (``structures webhooks``) does the sending."""

from datetime import UTC, datetime
from enum import Enum

import strawberry

from gateway.catalogue.vocabulary import Category
from gateway.graphql.permissions import require_integrator, within_scope
from gateway.graphql.subscriptions import PublicationFilterInput, PublicationKind
from gateway.graphql.types import GraphQLInfo
from gateway.user_errors import UserError as DomainError
from gateway.webhooks import repositories, services
from gateway.webhooks.policy import DeliveryStatus, UrlPolicy
from gateway.webhooks.repositories import Delivery, Endpoint
from gateway.webhooks.services import WebhookConfig
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.relay import to_global_id

MAX_REPLAYED_IDS = 100


@strawberry.enum(description="État d'une livraison de webhook.")
class WebhookDeliveryStatus(Enum):
    PENDING = DeliveryStatus.PENDING.value
    DELIVERED = DeliveryStatus.DELIVERED.value
    DEAD = DeliveryStatus.DEAD.value


@strawberry.type(description="Ce qu'une adresse de webhook reçoit (critères combinés comme pour l'abonnement).")
class WebhookFilter:
    departements: list[str]
    communes: list[str]
    establishment_ids: list[strawberry.ID]
    categories: list[Category]
    types: list[PublicationKind]


@strawberry.type(description="Une adresse où les publications sont envoyées, signées (Standard Webhooks).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    filter: WebhookFilter
    created_at: datetime
    disabled_at: datetime | None
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="Après un changement de secret, l'ancien signe aussi chaque envoi jusqu'à cette date (deux "
        "signatures dans l'en-tête `webhook-signature`) : le temps de passer au nouveau."
    )


@strawberry.type(description="Une publication envoyée (ou à envoyer) à une adresse de webhook.")
class WebhookDelivery:
    webhook_id: str = strawberry.field(description="En-tête `webhook-id` : le même à chaque tentative.")
    cursor: str = strawberry.field(description="Curseur de la publication dans le journal des publications.")
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = strawberry.field(description="Prochaine tentative (livraison en attente).")
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None = strawberry.field(description="Statut HTTP de la dernière réponse, s'il y en a eu.")
    last_error: str | None


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="Le secret de signature (`whsec_…`), affiché cette fois seulement : à conserver."
    )
    user_errors: list[UserError]


@strawberry.type
class ReplayWebhookDeliveriesPayload:
    replayed: int = strawberry.field(description="Livraisons abandonnées remises en attente.")
    user_errors: list[UserError]


@strawberry.input
class RegisterWebhookEndpointInput:
    url: str = strawberry.field(description="https://… vers une adresse publique.")
    filter: PublicationFilterInput | None = None


def _endpoint(endpoint: Endpoint) -> WebhookEndpoint:
    wanted = endpoint.filter
    view = WebhookFilter(
        departements=sorted(wanted.departements), communes=sorted(wanted.communes),
        establishment_ids=[strawberry.ID(to_global_id("Establishment", e)) for e in sorted(wanted.establishment_ids)],
        categories=[Category(c) for c in sorted(wanted.categories)],
        types=[PublicationKind[t.name] for t in sorted(wanted.types)],
    )  # fmt: skip
    return WebhookEndpoint(
        id=strawberry.ID(endpoint.id), url=endpoint.url, filter=view, created_at=endpoint.created_at,
        disabled_at=endpoint.disabled_at, previous_secret_valid_until=endpoint.previous_until,
    )  # fmt: skip


def _delivery(delivery: Delivery) -> WebhookDelivery:
    pending = delivery.status is DeliveryStatus.PENDING
    return WebhookDelivery(
        webhook_id=delivery.webhook_id, cursor=str(delivery.position),
        status=WebhookDeliveryStatus(delivery.status.value), attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if pending else None, created_at=delivery.created_at,
        last_attempt_at=delivery.last_attempt_at, delivered_at=delivery.delivered_at,
        last_status_code=delivery.last_status_code, last_error=delivery.last_error,
    )  # fmt: skip


def _errors(errors: list[DomainError]) -> list[UserError]:
    return [UserError(field=e.field, code=e.code, message=e.message) for e in errors]


def _not_found() -> list[UserError]:
    return [UserError(field="endpointId", code="NOT_FOUND", message="Adresse de webhook introuvable.")]


def _config(info: GraphQLInfo) -> WebhookConfig:
    return info.context.webhooks or WebhookConfig(None, UrlPolicy(), "Webhooks indisponibles.")


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="Vos adresses de webhook, les plus anciennes d'abord (intégrateurs).")
    async def webhook_endpoints(
        self, info: GraphQLInfo, first: int = 50, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        integrator = await require_integrator(info.context)
        page = page_of(first, after)
        async with info.context.sessions() as session:
            found = await repositories.list_endpoints(session, integrator.id, offset=page.offset, limit=page.limit)
            total = await repositories.count_endpoints(session, integrator.id)
        return connection_of([_endpoint(e) for e in found], page, total)

    @strawberry.field(
        description="Le journal des livraisons d'une de vos adresses, les publications les plus récentes d'abord ; "
        "status: DEAD donne la liste des livraisons abandonnées (intégrateurs)."
    )
    async def webhook_deliveries(
        self, info: GraphQLInfo, endpoint_id: strawberry.ID, status: WebhookDeliveryStatus | None = None,
        first: int = 50, after: str | None = None,
    ) -> Connection[WebhookDelivery]:  # fmt: skip
        integrator = await require_integrator(info.context)
        page = page_of(first, after)
        wanted = DeliveryStatus(status.value) if status else None
        async with info.context.sessions() as session:
            if await repositories.get_endpoint(session, str(endpoint_id), integrator.id) is None:
                return connection_of([], page, 0)
            found, total = await repositories.list_deliveries(
                session, str(endpoint_id), wanted, offset=page.offset, limit=page.limit
            )
        return connection_of([_delivery(d) for d in found], page, total)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Enregistrer une adresse de webhook : chaque publication de votre périmètre qui correspond au "
        "filtre y est envoyée par POST, signée (Standard Webhooks), avec reprises pendant 24 h (intégrateurs)."
    )
    async def register_webhook_endpoint(
        self, info: GraphQLInfo, input: RegisterWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        integrator = await require_integrator(info.context)
        wanted = within_scope((input.filter or PublicationFilterInput()).to_filter(), integrator)
        async with info.context.sessions() as session, session.begin():
            registered = await services.register_endpoint(
                session, _config(info), integrator_id=integrator.id, url=input.url.strip(), wanted=wanted,
                now=datetime.now(UTC),
            )  # fmt: skip
        if isinstance(registered, list):
            return WebhookEndpointPayload(endpoint=None, secret=None, user_errors=_errors(registered))
        endpoint, secret = registered
        return WebhookEndpointPayload(endpoint=_endpoint(endpoint), secret=secret, user_errors=[])

    @strawberry.mutation(
        description="Un nouveau secret de signature pour une de vos adresses : les envois suivants sont signés avec "
        "lui, et aussi avec l'ancien pendant 24 h (intégrateurs)."
    )
    async def rotate_webhook_secret(self, info: GraphQLInfo, endpoint_id: strawberry.ID) -> WebhookEndpointPayload:
        integrator = await require_integrator(info.context)
        async with info.context.sessions() as session, session.begin():
            endpoint = await repositories.get_endpoint(session, str(endpoint_id), integrator.id)
            if endpoint is None:
                return WebhookEndpointPayload(endpoint=None, secret=None, user_errors=_not_found())
            secret = await services.rotate_secret(session, _config(info), endpoint, datetime.now(UTC))
            if isinstance(secret, list):
                return WebhookEndpointPayload(endpoint=None, secret=None, user_errors=_errors(secret))
            rotated = await repositories.get_endpoint(session, endpoint.id, integrator.id)
        assert rotated is not None
        return WebhookEndpointPayload(endpoint=_endpoint(rotated), secret=secret, user_errors=[])

    @strawberry.mutation(description="Désactiver une de vos adresses : plus rien n'y est envoyé (intégrateurs).")
    async def disable_webhook_endpoint(self, info: GraphQLInfo, endpoint_id: strawberry.ID) -> WebhookEndpointPayload:
        integrator = await require_integrator(info.context)
        now = datetime.now(UTC)
        async with info.context.sessions() as session, session.begin():
            endpoint = await repositories.get_endpoint(session, str(endpoint_id), integrator.id)
            if endpoint is None:
                return WebhookEndpointPayload(endpoint=None, secret=None, user_errors=_not_found())
            if endpoint.disabled_at is None:
                await repositories.disable_endpoint(session, endpoint.id, now)
            endpoint = await repositories.get_endpoint(session, endpoint.id, integrator.id)
        assert endpoint is not None
        return WebhookEndpointPayload(endpoint=_endpoint(endpoint), secret=None, user_errors=[])

    @strawberry.mutation(
        description="Renvoyer les livraisons abandonnées d'une de vos adresses (toutes, ou celles dont les "
        "webhookIds sont donnés), avec le même webhook-id (intégrateurs)."
    )
    async def replay_webhook_deliveries(
        self, info: GraphQLInfo, endpoint_id: strawberry.ID, webhook_ids: list[str] | None = None
    ) -> ReplayWebhookDeliveriesPayload:
        integrator = await require_integrator(info.context)
        if webhook_ids is not None and len(webhook_ids) > MAX_REPLAYED_IDS:
            message = f"{MAX_REPLAYED_IDS} identifiants au plus."
            return ReplayWebhookDeliveriesPayload(
                replayed=0, user_errors=[UserError(field="webhookIds", code="TOO_MANY", message=message)]
            )
        async with info.context.sessions() as session, session.begin():
            if await repositories.get_endpoint(session, str(endpoint_id), integrator.id) is None:
                return ReplayWebhookDeliveriesPayload(replayed=0, user_errors=_not_found())
            replayed = await repositories.replay_dead(session, str(endpoint_id), datetime.now(UTC), webhook_ids)
        return ReplayWebhookDeliveriesPayload(replayed=replayed, user_errors=[])
