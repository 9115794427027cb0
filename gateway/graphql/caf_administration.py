"""What a Caf administrator does (``gateway.accounts.administration``): create, deactivate and promote the Caf's
own agents. Another Caf's agent is answered as « not found »."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts import administration, services
from gateway.accounts.administration import AdministrationError, Administrator
from gateway.accounts.services import NewPerson
from gateway.graphql.caf import password_issuing
from gateway.graphql.permissions import require_caf_administrator
from gateway.graphql.types import GraphQLInfo
from shared.graphql_contract import UserError


@strawberry.input(description="Désactiver le compte d'un agent de votre Caf (fin de mission…).")
class DeactivateCafAgentInput:
    agent_number: str
    reason: str


@strawberry.input(description="Attribuer (true) ou retirer (false) le rôle d'administrateur à un agent de votre Caf.")
class SetCafAdministratorInput:
    agent_number: str
    administrator: bool


@strawberry.input(description="Un nouvel agent de votre Caf : il reçoit un mot de passe provisoire par courriel.")
class CreateCafAgentInput:
    last_name: str
    first_name: str
    function: str
    email: str


@strawberry.type
class CafAgentPayload:
    agent_number: str | None
    identifier: str | None = strawberry.field(description="L'identifiant de connexion (à la création).")
    user_errors: list[UserError]


Change = Callable[[AsyncSession, Administrator], Awaitable[tuple[str, str | None]]]
"""Does the change; returns the agent number and, for a new account, its identifier."""


async def _administer(info: GraphQLInfo, change: Change) -> CafAgentPayload:
    by = await require_caf_administrator(info.context)
    try:
        async with info.context.sessions() as session, session.begin():
            agent_number, identifier = await change(session, by)
    except AdministrationError as error:
        refusal = UserError(field=error.field, message=str(error), code=error.code)
        return CafAgentPayload(agent_number=None, identifier=None, user_errors=[refusal])
    return CafAgentPayload(agent_number=agent_number, identifier=identifier, user_errors=[])


@strawberry.type
class CafAdministrationMutations:
    @strawberry.mutation(
        description="Désactiver un agent de votre Caf : ses sessions prennent fin partout (administrateurs)."
    )
    async def deactivate_caf_agent(self, info: GraphQLInfo, input: DeactivateCafAgentInput) -> CafAgentPayload:
        async def change(session: AsyncSession, by: Administrator) -> tuple[str, str | None]:
            now, signal = datetime.now(UTC), info.context.signal
            await administration.deactivate_caf_agent(session, by, input.agent_number, input.reason, now, signal)
            return input.agent_number, None

        return await _administer(info, change)

    @strawberry.mutation(description="Attribuer ou retirer le rôle d'administrateur de la Caf (administrateurs).")
    async def set_caf_administrator(self, info: GraphQLInfo, input: SetCafAdministratorInput) -> CafAgentPayload:
        async def change(session: AsyncSession, by: Administrator) -> tuple[str, str | None]:
            await administration.set_administrator(session, by, input.agent_number, input.administrator)
            return input.agent_number, None

        return await _administer(info, change)

    @strawberry.mutation(description="Créer le compte d'un agent de votre Caf (administrateurs).")
    async def create_caf_agent(self, info: GraphQLInfo, input: CreateCafAgentInput) -> CafAgentPayload:
        async def change(session: AsyncSession, by: Administrator) -> tuple[str, str | None]:
            person = NewPerson(input.last_name.strip(), input.first_name.strip(), input.function.strip(), input.email)
            administration.check_new_person(person)
            made = await services.bootstrap_caf_agent(
                session, person, caf_code=by.caf_code, issuing=password_issuing(info), now=datetime.now(UTC),
                signal=info.context.signal, administrator=False,
            )  # fmt: skip
            return made.agent_number, made.identifier

        return await _administer(info, change)
