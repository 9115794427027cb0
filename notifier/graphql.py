"""The notifier's own endpoint: Caf agents read the delivery status of their territory's e-mails.

Authentication: the gateway's access tokens, verified with its public key (``NOTIFIER_TOKEN_PUBLIC_KEY``, the ``x``
of the gateway's JWKS) for the ``structures-notifier`` audience; a token of a session the gateway revoked, or of a
deactivated account, is refused as soon as the event reaches the notifier (``shared.revocations``). No token, or a
bad, expired or revoked one: ``UNAUTHENTICATED``; a genuine token of someone who may not read deliveries (a provider
agent, whose token names other services, or a session opened with a generated password): ``FORBIDDEN``.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry.types import Info

from notifier.deliveries import list_deliveries
from notifier.states import DeliveryState
from shared.agents import AgentKind
from shared.db import SessionFactory
from shared.errors import ForbiddenError, UnauthenticatedError
from shared.graphql_contract import Connection, connection_of, page_of
from shared.graphql_protection import BoundedSchema, Limits, schema_extensions
from shared.metrics import ServiceMetrics, operation_metrics
from shared.tokens import Claims


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    claims: Claims | None
    """Whose genuine, unrevoked token came with the request (None: no token, or a bad, expired or revoked one)."""
    for_this_service: bool = True
    """The token names the notifier's audience (a provider agent's names only the gateway and moderation)."""


strawberry.enum(DeliveryState, description="Où en est l'envoi d'un courriel.")


STATE_LABELS = {
    DeliveryState.PENDING: "En attente d'envoi",
    DeliveryState.SENT: "Envoyé",
    DeliveryState.FAILED: "Échec",
}


@strawberry.enum(description="Ce que dit le courriel.")
class DeliveryKind(StrEnum):
    HABILITATION_RECEIPT = "habilitation_receipt"
    PASSWORD_ISSUED = "password_issued"  # noqa: S105 - the kind of e-mail, not a password
    MODERATION_DECIDED = "moderation_decided"
    OPERATING_INFO_WITHDRAWN = "operating_info_withdrawn"
    AGENT_DEACTIVATED = "agent_deactivated"
    CONVENTION_NOTICE = "convention_notice"


KIND_LABELS = {
    DeliveryKind.HABILITATION_RECEIPT: "Accusé de réception d'une demande d'habilitation",
    DeliveryKind.PASSWORD_ISSUED: "Mot de passe provisoire",
    DeliveryKind.MODERATION_DECIDED: "Décision sur des informations de fonctionnement",
    DeliveryKind.OPERATING_INFO_WITHDRAWN: "Retrait d'informations publiées",
    DeliveryKind.AGENT_DEACTIVATED: "Fin d'habilitation d'un agent",
    DeliveryKind.CONVENTION_NOTICE: "Avis sur la convention",
}


@strawberry.type(description="Un courriel envoyé (ou à envoyer) par le notificateur.")
class DeliveryStatus:
    kind: DeliveryKind
    kind_label: str = strawberry.field(description="Ce que dit le courriel, en français.")
    recipient: str
    subject: str
    status: DeliveryState
    status_label: str = strawberry.field(description="Où en est l'envoi, en français.")
    attempts: int
    last_error: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None


def _status_of(row: Any) -> DeliveryStatus:
    kind, state = DeliveryKind(row.kind), DeliveryState(row.status)
    return DeliveryStatus(
        kind=kind, kind_label=KIND_LABELS[kind], recipient=row.recipient, subject=row.subject, status=state,
        status_label=STATE_LABELS[state], attempts=row.attempts, last_error=row.last_error,
        message_id=row.message_id, created_at=row.created_at, sent_at=row.sent_at,
    )  # fmt: skip


def _caf_of(context: Context) -> str:
    """The Caf whose deliveries the caller may read; a refusal otherwise."""
    claims = context.claims
    if claims is None:
        raise UnauthenticatedError("Connectez-vous : jeton d'accès absent, invalide, expiré ou révoqué.")
    if not context.for_this_service or claims.kind != AgentKind.CAF_AGENT or not claims.caf_code:
        raise ForbiddenError("Réservé aux agents de la Caf.")
    if claims.temporary:  # a session opened with a generated password may only change it (architecture §4)
        raise ForbiddenError("Mot de passe provisoire : changez-le avant toute autre opération.")
    return claims.caf_code


@strawberry.type
class Query:
    @strawberry.field(description="Les courriels de votre territoire, les plus récents d'abord (agents de la Caf).")
    async def deliveries(
        self, info: Info[Context, None], status: DeliveryState | None = None, first: int = 50, after: str | None = None
    ) -> Connection[DeliveryStatus]:
        caf_code = _caf_of(info.context)
        page = page_of(first, after)
        async with info.context.sessions() as session:
            total, rows = await list_deliveries(session, caf_code, status, offset=page.offset, limit=page.limit)
        return connection_of([_status_of(row) for row in rows], page, total)


def build_schema(metrics: ServiceMetrics | None = None, limits: Limits | None = None) -> strawberry.Schema:
    timing = [operation_metrics(metrics)] if metrics is not None else []
    limits = limits or Limits()
    return BoundedSchema(
        query=Query, extensions=[*timing, *schema_extensions(limits)], timeout_seconds=limits.timeout_seconds
    )
