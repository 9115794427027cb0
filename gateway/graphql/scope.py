"""Whom a signed-in person acts for: ``me`` (profile, provider or Caf, establishments with rights and freshness),
and for a Caf agent a provider's current agents with their rights (annex of the convention, art. 3-2)."""

import strawberry

from gateway.accounts import scope
from gateway.accounts.administration import is_administrator
from gateway.accounts.scope import HeldRight
from gateway.accounts.states import RIGHT_LABELS
from gateway.accounts.states import Right as AccountRight
from gateway.graphql.agent import NamedEstablishment
from gateway.graphql.establishment import Establishment
from gateway.graphql.permissions import require_agent, require_caf_agent
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.request_review import AgentRight
from gateway.graphql.statuses import AccountStatus, AgentKind, label_of
from gateway.graphql.types import Caf, GraphQLInfo, Provider
from shared.graphql_contract import Connection, connection_of, page_of


@strawberry.type(description="Un droit d'un agent sur un établissement : son code et son libellé.")
class Right:
    code: AgentRight
    label: str


@strawberry.type(description="Un établissement sur lequel l'agent a des droits.")
class HeldEstablishment:
    establishment: Establishment = strawberry.field(
        description="L'établissement : sa fraîcheur se lit dans availabilityStatus (état, dernière mise à jour, canal "
        "et échéance selon sa règle) et operatingInfo.publishedAt."
    )
    rights: list[Right]


@strawberry.type(description="La personne connectée et son périmètre.")
class Me:
    account_id: strawberry.Private[str]
    identifier: str = strawberry.field(description="Identifiant de connexion.")
    last_name: str
    first_name: str
    agent_number: str = strawberry.field(description="Numéro d'identification de l'agent (convention art. 3-4).")
    email: str = strawberry.field(description="Adresse électronique de l'agent, celle de son habilitation.")
    kind: AgentKind
    caf_code: str | None = strawberry.field(description="Code de la Caf d'un agent de la Caf.")
    administrator: bool = strawberry.field(
        description="Administrateur de sa Caf : désactive les agents de la Caf, attribue ou retire ce rôle."
    )
    provider_id: strawberry.Private[str | None]

    @strawberry.field(description="« Agent d'un fournisseur de données » ou « Agent de la Caf ».")
    def kind_label(self) -> str:
        return label_of(self.kind)

    @strawberry.field(description="Le fournisseur de données d'un agent de fournisseur.")
    async def provider(self, info: GraphQLInfo) -> Provider | None:
        record = await info.context.loaders.providers.load(self.provider_id) if self.provider_id else None
        return Provider.from_record(record) if record else None

    @strawberry.field(description="La Caf d'un agent de la Caf.")
    async def caf(self, info: GraphQLInfo) -> Caf | None:
        record = await info.context.loaders.cafs.load(self.caf_code) if self.caf_code else None
        return Caf.from_record(record) if record else None

    @strawberry.field(description="Les établissements où l'agent d'un fournisseur a des droits, avec ces droits.")
    async def establishments(self, info: GraphQLInfo) -> list[HeldEstablishment]:
        async with info.context.sessions() as session:
            held = (await scope.rights_of(session, [self.account_id]))[self.account_id]
        found = []
        for establishment_id in dict.fromkeys(right.establishment_id for right in held):
            record = await info.context.loaders.establishments.load(establishment_id)
            if record is not None:
                rights = [_right(r.right) for r in held if r.establishment_id == establishment_id]
                found.append(HeldEstablishment(establishment=Establishment.from_record(record), rights=rights))
        return found


@strawberry.type(description="Un droit d'un agent, sur un établissement nommé.")
class EstablishmentRight:
    establishment: NamedEstablishment
    right: Right


@strawberry.type(description="Un agent habilité d'un fournisseur (annexe de la convention, art. 3-2).")
class ProviderAgent:
    agent_number: str
    last_name: str
    first_name: str
    email: str
    function: str
    status: AccountStatus
    rights: list[EstablishmentRight]

    @strawberry.field(description="L'état du compte, en français.")
    def status_label(self) -> str:
        return label_of(self.status)


def _right(code: str) -> Right:
    right = AgentRight(code)
    return Right(code=right, label=RIGHT_LABELS[AccountRight(code)])


def _held(right: HeldRight) -> EstablishmentRight:
    named = NamedEstablishment(
        id=strawberry.ID(to_global_id("Establishment", right.establishment_id)), name=right.establishment_name
    )
    return EstablishmentRight(establishment=named, right=_right(right.right))


@strawberry.type
class ScopeQueries:
    @strawberry.field(description="La personne connectée et son périmètre.")
    async def me(self, info: GraphQLInfo) -> Me:
        claims = await require_agent(info.context)
        async with info.context.sessions() as session:  # the role as it is now, not as when the token was issued
            administrator = await is_administrator(session, claims.account_id)
            row = await scope.profile(session, claims.account_id)
        return Me(
            account_id=claims.account_id, identifier=row.identifier, last_name=row.last_name,
            first_name=row.first_name, agent_number=row.agent_number, email=row.email, kind=AgentKind(row.kind),
            caf_code=row.caf_code, administrator=administrator, provider_id=row.provider_id,
        )  # fmt: skip

    @strawberry.field(
        description="Les agents habilités d'un fournisseur de votre territoire et leurs droits, par numéro d'agent "
        "(agents de la Caf)."
    )
    async def provider_agents(
        self, info: GraphQLInfo, provider_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> Connection[ProviderAgent]:
        claims = await require_caf_agent(info.context)
        page, key, caf_code = page_of(first, after), provider_key(provider_id), claims.caf_code or ""
        async with info.context.sessions() as session:
            rows = await scope.provider_agents(session, key, caf_code, offset=page.offset, limit=page.limit)
            total = await scope.count_provider_agents(session, key, caf_code)
            rights = await scope.rights_of(session, [row.id for row in rows])
        agents = [
            ProviderAgent(
                agent_number=row.agent_number, last_name=row.last_name, first_name=row.first_name, email=row.email,
                function=row.function, status=AccountStatus(row.status), rights=[_held(r) for r in rights[row.id]],
            )
            for row in rows
        ]  # fmt: skip
        return connection_of(agents, page, total)


def provider_key(global_id: strawberry.ID) -> str:
    kind, key = from_global_id(str(global_id), argument="providerId")
    if kind != "Provider":
        raise InvalidArgumentError(f"providerId : « {global_id} » n'est pas l'identifiant d'un fournisseur.")
    return key
