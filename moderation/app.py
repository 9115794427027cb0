"""Composition root of the moderation service: consumer of submissions, review queue and moderators' GraphQL."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from moderation import tables
from moderation.graphql.schema import Context, build_schema
from moderation.handlers import handlers
from moderation.queue import repositories
from moderation.settings import ModerationSettings
from shared.bus import InProcessBus
from shared.db import SessionFactory
from shared.events import Topic
from shared.graphiql import GraphiQLPage, graphiql_asset_routes, graphiql_if
from shared.graphql_errors import StrictJsonBodies
from shared.graphql_protection import limits_from
from shared.http import BodyLimitMiddleware, CorrelationIdMiddleware, SecurityHeadersMiddleware
from shared.metrics import ServiceMetrics
from shared.revocations import is_revoked
from shared.runtime import RuntimeAccessor, ServiceRuntime, ServiceSpec, health_routes
from shared.tokens import MODERATION, Claims, ForeignAudienceError, InvalidTokenError, TokenVerifier, unb64url

_runtime_of = RuntimeAccessor()


class ModerationGraphQL(StrictJsonBodies, GraphiQLPage, GraphQL[Context, None]):
    def __init__(self, settings: ModerationSettings, metrics: ServiceMetrics) -> None:
        super().__init__(
            build_schema(metrics, limits_from(settings)), graphql_ide=graphiql_if(settings.graphiql, settings)
        )
        key = settings.token_public_key
        self._verifier = TokenVerifier(unb64url(key), audience=MODERATION) if key else None
        self._lease = timedelta(seconds=settings.claim_lease_seconds)

    async def get_context(self, request: Request, response: Response | None = None) -> Context:  # type: ignore[override]
        runtime = _runtime_of(request)
        claims, elsewhere = self._claims(request.headers.get("authorization"))
        if claims is not None and await is_revoked(runtime.sessions, tables.revoked_sessions, claims):
            return Context(runtime.sessions, None, runtime.signal)  # a logged-out session or a deactivated account
        if elsewhere:
            return Context(runtime.sessions, None, runtime.signal, signed_in_elsewhere=True)
        return Context(runtime.sessions, claims, runtime.signal, lease=self._lease)

    def _claims(self, header: str | None) -> tuple[Claims | None, bool]:
        """The token's claims, and whether they are those of a token meant for other services only."""
        if self._verifier is None or not header or not header.lower().startswith("bearer "):
            return None, False
        try:
            return self._verifier.verify(header[7:].strip()), False
        except ForeignAudienceError as error:
            return error.claims, True
        except InvalidTokenError:
            return None, False


def spec(settings: ModerationSettings) -> ServiceSpec:
    return ServiceSpec(
        name="moderation",
        migrations=Path(__file__).parent / "migrations",
        outbox=tables.outbox,
        processed_events=tables.processed_events,
        consumer_group=settings.consumer_group,
        handlers=handlers(timedelta(minutes=settings.revocations_kept_minutes)),
        topics=(Topic.OPERATING_INFO_SUBMITTED.value, Topic.ACCOUNTS.value),
    )


def _measure_queue(metrics: ServiceMetrics, sessions: SessionFactory) -> None:
    async def pending() -> list[tuple[str, int, datetime]]:
        async with sessions() as session:
            return await repositories.list_pending_by_caf(session)

    async def depth() -> dict[tuple[str, ...], float]:
        return {(caf,): count for caf, count, _ in await pending()}

    async def oldest() -> dict[tuple[str, ...], float]:
        now = datetime.now(UTC)
        return {(caf,): (now - submitted).total_seconds() for caf, _, submitted in await pending()}

    metrics.gauge("structures_review_queue_depth", "Submissions waiting for a decision, by Caf", depth, ("caf",))
    metrics.gauge(
        "structures_review_queue_oldest_seconds", "Age of the oldest submission waiting, by Caf", oldest, ("caf",)
    )


def _cors(settings: ModerationSettings) -> list[Middleware]:
    """The pages allowed to call ``/graphql`` from a browser: the listed exact origins (the gateway's espace
    professionnel), without credentials — tokens go in the ``Authorization`` header, never in a cookie."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id"],
            allow_credentials=False,
            max_age=600,
        )
    ]


def create_app(settings: ModerationSettings, *, bus: InProcessBus | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = ServiceRuntime(spec(settings), settings, bus, metrics)
        app.state.runtime = runtime
        _measure_queue(metrics, runtime.sessions)
        async with runtime.running():
            yield

    metrics = ServiceMetrics("moderation")
    graphql = ModerationGraphQL(settings, metrics)
    routes = [*health_routes(_runtime_of), Route("/graphql", graphql), *graphiql_asset_routes(graphql.graphql_ide)]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            *_cors(settings),
            Middleware(SecurityHeadersMiddleware),
            Middleware(CorrelationIdMiddleware),
            Middleware(BodyLimitMiddleware),
        ],
    )
