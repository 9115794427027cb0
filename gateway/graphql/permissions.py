"""Who may do what: the gateway's authorisation policy, in one place (architecture §4)."""

from sqlalchemy import select

from gateway.accounts import sessions
from gateway.accounts.tables import account_rights
from gateway.accounts.tokens import Claims
from gateway.graphql.context import Context
from shared.errors import PermanentError


class AuthenticationError(PermanentError):
    """No valid session: log in (again)."""

    code = "UNAUTHENTICATED"


class ForbiddenError(PermanentError):
    """Logged in, but not allowed to do this."""

    code = "FORBIDDEN"


async def require_agent(context: Context, *, allow_temporary: bool = False) -> Claims:
    """The caller's claims, once its session is checked as still active (deactivation and logout act at once)."""
    claims = context.claims
    if claims is None:
        raise AuthenticationError("Authentification requise : connectez-vous.")
    async with context.sessions() as session:
        if not await sessions.active_session(session, claims):
            raise AuthenticationError("Session révoquée ou compte désactivé : reconnectez-vous.")
    if claims.temporary and not allow_temporary:
        raise ForbiddenError("Mot de passe provisoire : changez-le avant toute autre opération.")
    return claims


async def require_caf_agent(context: Context) -> Claims:
    """A Caf agent: acts only within the territory of its Caf."""
    claims = await require_agent(context)
    if claims.kind != "CAF_AGENT" or claims.caf_code is None:
        raise ForbiddenError("Réservé aux agents de la Caf.")
    return claims


async def require_right(context: Context, establishment_id: str, right: str) -> Claims:
    """A provider agent holding ``right`` (OPERATING_INFO or AVAILABILITY) on this establishment."""
    claims = await require_agent(context)
    held = None
    if claims.kind == "PROVIDER_AGENT":
        async with context.sessions() as session:
            held = await session.scalar(
                select(account_rights.c.right).where(
                    account_rights.c.account_id == claims.account_id,
                    account_rights.c.establishment_id == establishment_id,
                    account_rights.c.right == right,
                )
            )
    if held is None:
        raise ForbiddenError("Vous n'êtes pas habilité(e) à cette saisie pour cet établissement.")
    return claims
