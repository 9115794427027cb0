"""Composition root of the gateway: ``create_app`` wires settings, database, outbox relay and GraphQL."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from gateway import tables
from gateway.graphql.schema import build_schema
from gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.http import CorrelationIdMiddleware
from shared.runtime import RuntimeAccessor, ServiceRuntime, ServiceSpec, health_routes

SPEC = ServiceSpec(
    name="gateway",
    migrations=Path(__file__).parent / "migrations",
    outbox=tables.outbox,
    processed_events=tables.processed_events,
    # Reads keep being served while Kafka is down; events wait in the outbox and readiness says so.
    kafka_required_for_readiness=False,
)


def create_app(settings: GatewaySettings, *, bus: InProcessBus | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = ServiceRuntime(SPEC, settings, bus)
        app.state.runtime = runtime
        async with runtime.running():
            yield

    graphql = GraphQL[None, None](build_schema(), graphql_ide="graphiql" if settings.graphiql else None)
    routes = [*health_routes(RuntimeAccessor()), Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(CorrelationIdMiddleware)])
