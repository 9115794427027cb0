"""Who may do what: the gateway's authorisation policy, in one place (architecture §4)."""

from dataclasses import replace
from datetime import UTC, datetime

from gateway.accounts import rights, sessions
from gateway.accounts.administration import Administrator, is_administrator
from gateway.accounts.states import AgentKind, Right
from gateway.accounts.tokens import Claims
from gateway.graphql.context import Context
from gateway.integrators import services as integrators
from gateway.integrators.services import Integrator
from gateway.publications.feed import PublicationFilter
from shared.errors import ForbiddenError, PermanentError, UnauthenticatedError


async def require_agent(context: Context, *, allow_temporary: bool = False, shared: bool = False) -> Claims:
    """The caller's claims, once its session is checked as still active (deactivation and logout act at once).
    ``shared``: a check of the same session already running answers this caller too (:func:`_session_active`)."""
    claims = context.claims
    if claims is None:
        raise UnauthenticatedError("Authentification requise : connectez-vous.")
    if not await _session_active(context, claims, shared=shared):
        raise UnauthenticatedError("Session révoquée ou compte désactivé : reconnectez-vous.")
    if claims.temporary and not allow_temporary:
        raise ForbiddenError("Mot de passe provisoire : changez-le avant toute autre opération.")
    return claims


async def require_caf_agent(context: Context) -> Claims:
    """A Caf agent: acts only within the territory of its Caf."""
    claims = await require_agent(context)
    if claims.kind != AgentKind.CAF_AGENT or claims.caf_code is None:
        raise ForbiddenError("Réservé aux agents de la Caf.")
    return claims


async def require_caf_administrator(context: Context) -> Administrator:
    """A Caf administrator, as the database says now (a withdrawn role acts at once, whatever the token holds)."""
    claims = await require_caf_agent(context)
    async with context.sessions() as session:
        allowed = await is_administrator(session, claims.account_id)
    if not allowed:
        raise ForbiddenError("Réservé aux administrateurs de la Caf.")
    return Administrator(claims.account_id, claims.agent_number, claims.caf_code or "")


async def require_right(context: Context, establishment_id: str, right: Right) -> Claims:
    """A provider agent holding ``right`` (OPERATING_INFO or AVAILABILITY) on this establishment."""
    claims = await require_agent(context)
    held = False
    if claims.kind == AgentKind.PROVIDER_AGENT:
        # A right counts only while the agent's provider runs the establishment (accounts.rights).
        async with context.sessions() as session:
            held = await rights.holds_right(session, claims.account_id, establishment_id, right)
    if not held:
        raise ForbiddenError("Vous n'êtes pas habilité(e) à cette saisie pour cet établissement.")
    return claims


class RateLimitedError(PermanentError):
    """Too many requests for one API key."""

    code = "RATE_LIMITED"


async def require_reader(context: Context, *, shared: bool = False) -> Integrator | None:
    """Who may read publications: a signed-in agent (None is returned) or an integrator with a valid API key
    (checked once per connection or request). ``shared``: see :func:`require_agent`."""
    if context.api_key is None:
        await require_agent(context, shared=shared)
        return None
    integrator = context.integrator
    if integrator is None:
        async with context.sessions() as session, session.begin():
            integrator = await integrators.authenticate(session, context.api_key, datetime.now(UTC))
        if integrator is None:
            raise UnauthenticatedError("Clé d'API invalide ou révoquée.")
        context.integrator = integrator
    wait = context.rate_limiter.take(integrator.key_id) if context.rate_limiter else 0.0
    if wait:
        raise RateLimitedError(f"Trop de requêtes pour cette clé d'API : réessayez dans {wait:.1f} s.")
    return integrator


async def require_integrator(context: Context) -> Integrator:
    """An integrator with a valid API key (webhooks are theirs: an agent's session has none)."""
    integrator = await require_reader(context)
    if integrator is None:
        raise ForbiddenError("Réservé aux intégrateurs (clé d'API).")
    return integrator


def within_scope(wanted: PublicationFilter, integrator: Integrator | None) -> PublicationFilter:
    """An integrator reads its départements only: its filter is narrowed to them, never widened beyond."""
    if integrator is None:
        return wanted
    outside = wanted.departements - integrator.departements
    if outside:
        raise ForbiddenError(f"Hors du périmètre de votre clé d'API : {', '.join(sorted(outside))}.")
    return replace(wanted, departements=wanted.departements or integrator.departements)


async def still_allowed(context: Context) -> bool:
    """For a long-lived subscription: is the key it was opened with still valid, or the agent's session still
    active (not logged out, not deactivated)?"""
    if context.api_key is not None:
        async with context.sessions() as session, session.begin():
            return await integrators.authenticate(session, context.api_key, datetime.now(UTC)) is not None
    if context.claims is None:
        return False
    return await _session_active(context, context.claims, shared=True)


async def _session_active(context: Context, claims: Claims, *, shared: bool) -> bool:
    """Whether the agent's session is active. ``shared`` (subscriptions): when a check of the same session is
    already running in this process, its answer is this caller's too, without a query of its own — a client
    opening its subscriptions together (ten per connection, hundreds of connections after a deployment) costs one
    check, not one per subscription. The answer is at most one query's duration older than the call."""

    async def check() -> bool:
        async with context.sessions() as session:
            return bool(await sessions.active_session(session, claims))

    if shared and context.rechecks is not None:
        return await context.rechecks.at_once(("session", claims.account_id, claims.session_id), check)
    return await check()
