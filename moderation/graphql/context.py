"""Who calls the moderators' API: the request's context and the rule that only a Caf's moderators act."""

from dataclasses import dataclass
from datetime import timedelta

from strawberry.types import Info

from moderation.queue.services import LEASE, Moderator
from shared.agents import AgentKind
from shared.db import SessionFactory
from shared.errors import ForbiddenError, UnauthenticatedError
from shared.outbox import OutboxSignal
from shared.tokens import Claims


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    claims: Claims | None = None
    signal: OutboxSignal | None = None
    signed_in_elsewhere: bool = False
    """A valid token of the gateway meant for other services only (a provider agent's, a generated password's):
    its bearer is known, and refused as such."""
    lease: timedelta = LEASE
    """How long a claim holds an item (``MODERATION_CLAIM_LEASE_SECONDS``)."""


ModerationInfo = Info[Context, None]


def moderator_of(info: ModerationInfo) -> Moderator:
    """The calling moderator, or the error that says whether to sign in or that the account may not moderate."""
    context = info.context
    claims = context.claims
    if claims is None and not context.signed_in_elsewhere:
        raise UnauthenticatedError("Authentification requise : connectez-vous (jeton absent, expiré ou révoqué).")
    if claims is None or claims.kind != AgentKind.CAF_AGENT or not claims.caf_code or claims.temporary:
        raise ForbiddenError("Réservé aux modérateurs de la Caf, avec un jeton d'accès valide.")
    return Moderator(claims.caf_code, claims.agent_number)
