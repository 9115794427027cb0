"""Caf agents manage the integrators of their territory: accounts, API keys shown once, revocation."""

from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType, parse, validate

from gateway.graphql.permissions import require_caf_agent
from gateway.graphql.types import GraphQLInfo
from gateway.integrators import services
from gateway.integrators.services import NewIntegrator
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.trusted_documents import document_id


@strawberry.type(description="Une clé d'API (le secret n'est montré qu'à sa création).")
class ApiKeyView:
    id: strawberry.ID
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


@strawberry.type(description="Un intégrateur (éditeur, portail) lisant les données publiées de son périmètre.")
class IntegratorView:
    id: strawberry.ID
    name: str
    contact_email: str
    departements: list[str]
    created_at: datetime
    keys: list[ApiKeyView]


@strawberry.type
class ApiKeyPayload:
    integrator_id: strawberry.ID | None
    key_id: strawberry.ID | None
    api_key: str | None = strawberry.field(description="La clé, affichée cette fois seulement : à transmettre.")
    user_errors: list[UserError]


@strawberry.type
class RevokeApiKeyPayload:
    revoked: bool
    user_errors: list[UserError]


@strawberry.type
class TrustedDocumentPayload:
    document_id: str | None = strawberry.field(
        description="« sha256:… » : à envoyer comme documentId à la place du texte (GET ou POST)."
    )
    user_errors: list[UserError]


MAX_DOCUMENT_LENGTH = 20_000


def document_problems(schema: GraphQLSchema, text: str) -> list[UserError]:
    """Why ``text`` cannot be a trusted document: too long, not GraphQL, not valid here, or a mutation."""
    if len(text) > MAX_DOCUMENT_LENGTH:
        return [_problem("TOO_LONG", f"Document trop long ({MAX_DOCUMENT_LENGTH} caractères au plus).")]
    try:
        document = parse(text)
    except GraphQLError as error:
        return [_problem("SYNTAX", f"Ce n'est pas un document GraphQL : {error.message}")]
    problems = [_problem("INVALID", problem.message) for problem in validate(schema, document)]
    if any(
        isinstance(node, OperationDefinitionNode) and node.operation is OperationType.MUTATION
        for node in document.definitions
    ):
        problems.append(_problem("MUTATION", "Un intégrateur lit : un document de confiance ne modifie rien."))
    return problems


def _problem(code: str, message: str) -> UserError:
    return UserError(field="document", code=code, message=message)


@strawberry.input
class IntegratorInput:
    name: str
    contact_email: str
    departements: list[str] = strawberry.field(description="Départements lisibles, dans le territoire de la Caf.")


@strawberry.type
class IntegratorQueries:
    @strawberry.field(
        description="Les intégrateurs de votre Caf et leurs clés, les plus anciens d'abord (agents de la Caf)."
    )
    async def integrators(
        self, info: GraphQLInfo, first: int = 50, after: str | None = None
    ) -> Connection[IntegratorView]:
        claims = await require_caf_agent(info.context)
        page, caf_code = page_of(first, after), str(claims.caf_code)
        async with info.context.sessions() as session:
            found = await services.list_integrators(session, caf_code, offset=page.offset, limit=page.limit)
            total = await services.count_integrators(session, caf_code)
        return connection_of([_integrator(row, keys) for row, keys in found], page, total)


def _integrator(row: Any, keys: list[Any]) -> IntegratorView:
    return IntegratorView(
        id=strawberry.ID(row.id), name=row.name, contact_email=row.contact_email, departements=list(row.departements),
        created_at=row.created_at,
        keys=[
            ApiKeyView(id=strawberry.ID(k.id), created_at=k.created_at, created_by=k.created_by,
                       last_used_at=k.last_used_at, revoked_at=k.revoked_at)
            for k in keys
        ],
    )  # fmt: skip


def _not_found(field: str) -> list[UserError]:
    return [UserError(field=field, code="NOT_FOUND", message="Introuvable parmi les intégrateurs de votre Caf.")]


@strawberry.type
class IntegratorMutations:
    @strawberry.mutation(description="Créer un intégrateur et sa première clé d'API (agents de la Caf).")
    async def create_integrator(self, info: GraphQLInfo, input: IntegratorInput) -> ApiKeyPayload:
        claims = await require_caf_agent(info.context)
        request = NewIntegrator(input.name, input.contact_email, input.departements)
        async with info.context.sessions() as session, session.begin():
            created = await services.create_integrator(
                session, request, caf_code=str(claims.caf_code), agent_number=claims.agent_number,
                now=datetime.now(UTC),
            )  # fmt: skip
        if isinstance(created, list):
            errors = [UserError(field=e.field, code=e.code, message=e.message) for e in created]
            return ApiKeyPayload(integrator_id=None, key_id=None, api_key=None, user_errors=errors)
        integrator_id, key = created
        return ApiKeyPayload(
            integrator_id=strawberry.ID(integrator_id), key_id=strawberry.ID(key.id), api_key=key.secret,
            user_errors=[],
        )  # fmt: skip

    @strawberry.mutation(description="Une nouvelle clé pour un intégrateur (rotation) ; l'ancienne reste valable "
                         "jusqu'à sa révocation.")  # fmt: skip
    async def create_api_key(self, info: GraphQLInfo, integrator_id: strawberry.ID) -> ApiKeyPayload:
        claims = await require_caf_agent(info.context)
        async with info.context.sessions() as session, session.begin():
            if await services.owned_integrator(session, str(integrator_id), str(claims.caf_code)) is None:
                return ApiKeyPayload(integrator_id=None, key_id=None, api_key=None, user_errors=_not_found("id"))
            key = await services.issue_key(
                session, str(integrator_id), agent_number=claims.agent_number, now=datetime.now(UTC)
            )
        return ApiKeyPayload(integrator_id=integrator_id, key_id=strawberry.ID(key.id), api_key=key.secret,
                             user_errors=[])  # fmt: skip

    @strawberry.mutation(
        description="Enregistrer un document de confiance pour un intégrateur de votre Caf : il pourra l'envoyer "
        "par son identifiant (documentId)."
    )
    async def register_trusted_document(
        self, info: GraphQLInfo, integrator_id: strawberry.ID, document: str
    ) -> TrustedDocumentPayload:
        claims = await require_caf_agent(info.context)
        problems = document_problems(info.schema._schema, document)
        async with info.context.sessions() as session, session.begin():
            if await services.owned_integrator(session, str(integrator_id), str(claims.caf_code)) is None:
                return TrustedDocumentPayload(document_id=None, user_errors=_not_found("integratorId"))
            if problems:
                return TrustedDocumentPayload(document_id=None, user_errors=problems)
            identifier = document_id(document)
            await services.register_document(
                session, str(integrator_id), document, document_id=identifier, agent_number=claims.agent_number,
                now=datetime.now(UTC),
            )  # fmt: skip
        return TrustedDocumentPayload(document_id=identifier, user_errors=[])

    @strawberry.mutation(description="Révoquer une clé d'API : elle est refusée aussitôt.")
    async def revoke_api_key(self, info: GraphQLInfo, key_id: strawberry.ID) -> RevokeApiKeyPayload:
        claims = await require_caf_agent(info.context)
        async with info.context.sessions() as session, session.begin():
            revoked = await services.revoke_key(
                session, str(key_id), caf_code=str(claims.caf_code), agent_number=claims.agent_number,
                now=datetime.now(UTC),
            )  # fmt: skip
        return RevokeApiKeyPayload(revoked=revoked, user_errors=[] if revoked else _not_found("keyId"))
