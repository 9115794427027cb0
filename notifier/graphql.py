"""The notifier's own endpoint: Caf agents read the delivery status of their territory's e-mails.

Authentication: the gateway's access tokens, verified with its public key (``NOTIFIER_TOKEN_PUBLIC_KEY``, the ``x``
of the gateway's JWKS) for the ``structures-notifier`` audience; a token of a session the gateway revoked, or of a
deactivated account, is refused as soon as the event reaches the notifier (``shared.revocations``).
"""

from dataclasses import dataclass
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from notifier.tables import deliveries
from shared.db import SessionFactory
from shared.errors import PermanentError
from shared.graphql_protection import BoundedSchema, Limits, schema_extensions
from shared.metrics import ServiceMetrics, operation_metrics
from shared.tokens import Claims

MAX_DELIVERIES = 200


class NotAllowedError(PermanentError):
    code = "FORBIDDEN"


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    claims: Claims | None


@strawberry.type(description="Un courriel envoyé (ou à envoyer) par le notificateur.")
class DeliveryStatus:
    kind: str
    recipient: str
    subject: str
    status: str = strawberry.field(description="PENDING, SENT ou FAILED.")
    attempts: int
    last_error: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None


@strawberry.type
class Query:
    @strawberry.field(description="Les courriels de votre territoire, les plus récents d'abord (agents de la Caf).")
    async def deliveries(
        self, info: Info[Context, None], status: str | None = None, first: int = 50
    ) -> list[DeliveryStatus]:
        claims = info.context.claims
        if claims is None or claims.kind != "CAF_AGENT" or not claims.caf_code:
            raise NotAllowedError("Réservé aux agents de la Caf, avec un jeton d'accès valide.")
        if claims.temporary:  # a session opened with a generated password may only change it (architecture §4)
            raise NotAllowedError("Mot de passe provisoire : changez-le avant toute autre opération.")
        if not 1 <= first <= MAX_DELIVERIES:
            raise NotAllowedError(f"first: must be between 1 and {MAX_DELIVERIES}")
        query = select(deliveries).where(deliveries.c.caf_code == claims.caf_code)
        if status:
            query = query.where(deliveries.c.status == status)
        async with info.context.sessions() as session:
            rows = (await session.execute(query.order_by(deliveries.c.created_at.desc()).limit(first))).all()
        return [
            DeliveryStatus(
                kind=r.kind,
                recipient=r.recipient,
                subject=r.subject,
                status=r.status,
                attempts=r.attempts,
                last_error=r.last_error,
                message_id=r.message_id,
                created_at=r.created_at,
                sent_at=r.sent_at,
            )
            for r in rows
        ]


def build_schema(metrics: ServiceMetrics | None = None, limits: Limits | None = None) -> strawberry.Schema:
    timing = [operation_metrics(metrics)] if metrics is not None else []
    limits = limits or Limits()
    return BoundedSchema(
        query=Query, extensions=[*timing, *schema_extensions(limits)], timeout_seconds=limits.timeout_seconds
    )
