"""Login and sessions over GraphQL; ``me``. The policy for who may do what lives in ``permissions.py``."""

import asyncio
from datetime import UTC, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts import sessions
from gateway.accounts.services import reset_password
from gateway.accounts.sessions import Refusal, SessionTokens
from gateway.graphql.habilitation import ChallengeAnswerInput
from gateway.graphql.permissions import require_agent
from gateway.graphql.types import GraphQLInfo
from gateway.habilitation.challenges import redeem_challenge
from gateway.habilitation.states import ChallengePurpose
from shared.graphql_contract import UserError


@strawberry.type(description="Une session : un jeton d'accès (10 minutes) et un jeton de renouvellement.")
class Session:
    access_token: str
    refresh_token: str
    expires_in: int = strawberry.field(description="Durée de validité du jeton d'accès, en secondes.")
    must_change_password: bool = strawberry.field(
        description="Mot de passe provisoire : seul le changement de mot de passe est possible."
    )


@strawberry.type
class SessionPayload:
    session: Session | None
    user_errors: list[UserError]


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.input
class LoginInput:
    identifier: str
    password: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class RequestPasswordResetInput:
    identifier: str
    challenge: ChallengeAnswerInput


@strawberry.type
class RequestPasswordResetPayload:
    message: str = strawberry.field(description="Toujours le même, que l'identifiant existe ou non.")
    user_errors: list[UserError]


def _payload(result: SessionTokens | Refusal | list[Refusal]) -> SessionPayload:
    if isinstance(result, SessionTokens):
        session = Session(
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            expires_in=result.expires_in,
            must_change_password=result.must_change_password,
        )
        return SessionPayload(session=session, user_errors=[])
    refusals = result if isinstance(result, list) else [result]
    errors = [UserError(field=r.field, message=r.message, code=r.code) for r in refusals]
    return SessionPayload(session=None, user_errors=errors)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="Connexion avec l'identifiant et le mot de passe.")
    async def login(self, info: GraphQLInfo, input: LoginInput) -> SessionPayload:
        context, auth = info.context, info.context.authenticator
        # The attempt is counted and committed before the password is checked, so that parallel guesses see it.
        async with context.sessions() as session, session.begin():
            attempt = await sessions.reserve_login(session, auth, input.identifier, context.client, datetime.now(UTC))
        if isinstance(attempt, Refusal):
            return _payload(attempt)
        await asyncio.sleep(attempt.delay)
        async with context.sessions() as session, session.begin():
            result = await sessions.login(
                session, auth, input.identifier, input.password, context.client, datetime.now(UTC)
            )
        return _payload(result)

    @strawberry.mutation(description="Un nouveau jeton d'accès ; le jeton de renouvellement présenté ne vaut plus.")
    async def refresh_session(self, info: GraphQLInfo, input: RefreshSessionInput) -> SessionPayload:
        context = info.context
        async with context.sessions() as session, session.begin():
            result = await sessions.refresh_session(
                session, context.authenticator, input.refresh_token, context.client, datetime.now(UTC)
            )
        return _payload(result)

    @strawberry.mutation(description="Déconnexion : la session et ses jetons de renouvellement sont révoqués.")
    async def logout(self, info: GraphQLInfo) -> LogoutPayload:
        claims = await require_agent(info.context, allow_temporary=True)
        async with info.context.sessions() as session, session.begin():
            await sessions.logout(session, claims, info.context.client, datetime.now(UTC))
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Changer de mot de passe (obligatoire à la première connexion).")
    async def change_password(self, info: GraphQLInfo, input: ChangePasswordInput) -> SessionPayload:
        context = info.context
        claims = await require_agent(context, allow_temporary=True)
        async with context.sessions() as session, session.begin():
            result = await sessions.change_password(
                session, context.authenticator, claims, input.current_password, input.new_password, context.client,
                datetime.now(UTC),
            )  # fmt: skip
        return _payload(result)

    @strawberry.mutation(description="Mot de passe perdu : identifiant et texte de l'image ; un nouveau est envoyé.")
    async def request_password_reset(
        self,
        info: GraphQLInfo,
        input: RequestPasswordResetInput,
    ) -> RequestPasswordResetPayload:
        context = info.context
        now = datetime.now(UTC)
        issuing = context.issuing
        async with context.sessions() as session, session.begin():
            solved = await redeem_challenge(
                session,
                str(input.challenge.id),
                input.challenge.answer,
                purpose=ChallengePurpose.PASSWORD_RESET,
                now=now,
            )
            if solved and issuing is not None:

                async def reset(db: AsyncSession, identifier: str) -> str | None:
                    return await reset_password(db, identifier, issuing=issuing, now=now, signal=context.signal)

                await sessions.request_password_reset(session, input.identifier, context.client, now, reset)
        if not solved:
            message = "Le texte saisi ne correspond pas à l'image, ou l'image a expiré : demandez-en une nouvelle."
            error = UserError(field="challenge.answer", message=message, code="CHALLENGE_FAILED")
            return RequestPasswordResetPayload(message=message, user_errors=[error])
        return RequestPasswordResetPayload(message=sessions.RESET_SENT, user_errors=[])


@strawberry.type(description="Ce que la politique des mots de passe dit d'un mot de passe envisagé.")
class PasswordCheck:
    acceptable: bool
    problems: list[UserError] = strawberry.field(description="Chaque règle non respectée, en français.")


@strawberry.type
class SessionQueries:
    @strawberry.field(
        description="Vérifier un nouveau mot de passe pendant la saisie, sans rien changer (personne connectée, "
        "y compris avec un mot de passe provisoire)."
    )
    async def password_check(self, info: GraphQLInfo, password: str) -> PasswordCheck:
        claims = await require_agent(info.context, allow_temporary=True)
        async with info.context.sessions() as session:
            refusals = await sessions.password_problems(session, info.context.authenticator, claims, password)
        problems = [UserError(field=r.field, code=r.code, message=r.message) for r in refusals]
        return PasswordCheck(acceptable=not problems, problems=problems)
