"""Composition root of the gateway: ``create_app`` wires settings, database, outbox relay and GraphQL."""

import contextlib
import hashlib
import hmac
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import make_url
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gateway import tables
from gateway.accounts.demo import create_demo_accounts
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.passwords import PasswordPolicy
from gateway.accounts.services import PasswordIssuing
from gateway.accounts.sessions import Authenticator, Client
from gateway.accounts.tokens import Claims, InvalidTokenError, TokenSigner
from gateway.catalogue.demo import load_demo
from gateway.catalogue.reference_data import load_reference_data
from gateway.graphql.compiled import COMPILED_FAILED, DOCUMENT_KEY, CompiledReads, encode_response
from gateway.graphql.compiled_front import CompiledFront
from gateway.graphql.context import Context
from gateway.graphql.loaders import build_loaders
from gateway.graphql.permissions import require_reader
from gateway.graphql.protection import TransportWsHandler, offers_transport_ws, refuse_handshake
from gateway.graphql.rechecks import SubscriptionRechecks
from gateway.graphql.schema import build_schema
from gateway.habilitation.conventions import run_daily
from gateway.integrators.keys import RateLimiter
from gateway.integrators.services import registered_document
from gateway.publications.feed import PublicationFeed
from gateway.publications.log import last_position
from gateway.publications.sources import FeedWriter, fill_gaps
from gateway.response_cache.metrics import export_metrics
from gateway.response_cache.middleware import ResponseCacheMiddleware, ResponseCaching
from gateway.response_cache.store import ResponseCache
from gateway.settings import GatewaySettings
from gateway.submissions.decisions import HANDLERS as DECISION_HANDLERS
from gateway.transmission.endpoints import MAX_TRANSMISSION_BYTES, TRANSMISSION_PATH, transmission_routes
from gateway.web import EspaceProfessionnel, web_config
from gateway.webhooks.services import webhook_config
from shared.bus import InProcessBus
from shared.conditional_get import ConditionalGraphQLGet
from shared.db import SessionFactory, create_read_engine, create_session_factory
from shared.errors import PermanentError
from shared.events import Topic
from shared.graphiql import GraphiQLPage, graphiql_asset_routes, graphiql_if
from shared.graphql_errors import StrictJsonBodies
from shared.graphql_protection import limits_from
from shared.http import BodyLimitMiddleware, CorrelationIdMiddleware, SecurityHeadersMiddleware
from shared.kafka import KafkaBroadcastReader
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxSignal
from shared.runtime import RuntimeAccessor, ServiceRuntime, ServiceSpec, health_routes
from shared.sealing import decode_key
from shared.trusted_documents import DocumentIdRequests, TrustedDocuments

SPEC = ServiceSpec(
    name="gateway",
    migrations=Path(__file__).parent / "migrations",
    outbox=tables.outbox,
    processed_events=tables.processed_events,
    handlers=DECISION_HANDLERS,
    topics=(Topic.MODERATION_DECIDED.value,),
    # Reads keep being served while Kafka is down; events wait in the outbox and readiness says so.
    kafka_required_for_readiness=False,
)
_runtime_of = RuntimeAccessor()
log = logging.getLogger(__name__)


TRUSTED_DOCUMENTS = Path(__file__).parent / "trusted_documents"
"""The integrator guide's documents (``docs/integrators.md``), accepted by ``documentId`` like the web's."""


def trusted_documents(settings: GatewaySettings) -> TrustedDocuments:
    """What ``documentId`` may name: the guide's documents and the espace professionnel's generated operations."""
    documents = TrustedDocuments()
    documents.add_folder(TRUSTED_DOCUMENTS)
    documents.follow_manifest(settings.web_dist / "persisted-documents.json")
    return documents


async def _registered_document(sessions: SessionFactory, identifier: str) -> str | None:
    async with sessions() as session:
        return await registered_document(session, identifier)


class GatewayGraphQL(DocumentIdRequests, StrictJsonBodies, GraphiQLPage, GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWsHandler

    def __init__(self, settings: GatewaySettings, metrics: ServiceMetrics) -> None:
        schema = build_schema(limits_from(settings), metrics)
        super().__init__(
            schema,
            graphql_ide=graphiql_if(settings.graphiql, settings),
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),  # S9: only graphql-transport-ws
            connection_init_wait_timeout=timedelta(seconds=settings.connection_init_seconds),
            max_subscriptions_per_connection=settings.subscriptions_per_connection,
            allowed_origins=settings.websocket_allowed_origins,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self._zone = ZoneInfo(settings.timezone)
        self._graphql_schema = schema._schema
        self._timeout_seconds = schema.timeout_seconds
        self._recheck_seconds = settings.subscription_recheck_seconds
        self.rechecks = SubscriptionRechecks(settings.subscription_recheck_seconds)
        self.trusted_documents = trusted_documents(settings)
        self.compiled_reads = CompiledReads()
        self.compiled = settings.compiled_reads and make_url(settings.database_url).get_backend_name() == "postgresql"
        metrics.counter(
            "structures_graphql_read_path",
            "Queries answered by the compiled read path (compiled) or the normal executor (normal:<reason>)",
            "path",
            self.compiled_reads.paths,
        )

    def _compiled_reads_for(self, request: Request | WebSocket, state: dict[str, object]) -> CompiledReads | None:
        """HTTP requests may take the compiled path, unless the front's statement already failed for this one."""
        if not self.compiled or not isinstance(request, Request) or state.get(COMPILED_FAILED):
            return None
        return self.compiled_reads

    def front(self, metrics: ServiceMetrics) -> CompiledFront:
        """This view behind the compiled read path's front door."""
        timeout = self._timeout_seconds
        return CompiledFront(
            self, self._graphql_schema, self.compiled_reads, self.trusted_documents, self._zone, metrics, timeout
        )

    def encode_json(self, data: object) -> str | bytes:
        return encode_response(data) or super().encode_json(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            if not offers_transport_ws(websocket):
                await refuse_handshake(websocket)
                return
        await super().__call__(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authentication happens here, once per connection: ``{"apiKey": "<integrator key>"}`` or
        ``{"authorization": "Bearer <access token>"}``; refused with 4403 otherwise."""
        params = context.connection_params or {}
        header, api_key = params.get("authorization"), params.get("apiKey")
        context.claims = _claims(context.authenticator, header if isinstance(header, str) else None)
        context.api_key = api_key if isinstance(api_key, str) else None
        try:
            await require_reader(context)
        except PermanentError as error:
            log.info("WebSocket connection refused", extra={"reason": getattr(error, "code", "FORBIDDEN")})
            raise ConnectionRejectionError(
                {"code": getattr(error, "code", "FORBIDDEN"), "message": str(error)}
            ) from None
        return UNSET  # type: ignore[no-any-return]

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None = None) -> Context:
        runtime = _runtime_of(request)
        auth: Authenticator = request.app.state.authenticator
        today = datetime.now(self._zone).date()
        state = request.scope.get("state", {})
        request_id = str(state.get("request_id", "-"))
        reads: SessionFactory | None = request.app.state.reads
        loaders = build_loaders(reads or runtime.sessions, today)
        client = Client(request.client.host if request.client else None, request.headers.get("user-agent"))
        claims = _claims(auth, request.headers.get("authorization"))
        issuing: PasswordIssuing | None = request.app.state.issuing
        feed: PublicationFeed = request.app.state.feed
        return Context(
            runtime.sessions, loaders, today, request_id, runtime.signal, auth, claims, client, issuing, feed,
            api_key=request.headers.get("x-api-key"), rate_limiter=request.app.state.rate_limiter,
            recheck_seconds=self._recheck_seconds, rechecks=self.rechecks, webhooks=request.app.state.webhooks,
            compiled_reads=self._compiled_reads_for(request, state),
            compiled_document=state.get(DOCUMENT_KEY), reads=reads,
        )  # fmt: skip


def _claims(auth: Authenticator, header: str | None) -> Claims | None:
    """The bearer token's claims; a bad token is treated as none (the operation then asks to log in)."""
    if not header or not header.lower().startswith("bearer "):
        return None
    try:
        return auth.signer.verify(header[7:].strip())
    except InvalidTokenError:
        return None


def build_authenticator(settings: GatewaySettings) -> Authenticator:
    if settings.token_signing_key is None:
        log.warning("GATEWAY_TOKEN_SIGNING_KEY is not set: tokens are signed with a key of this process only")
        seed = os.urandom(32)
    else:
        seed = decode_key(settings.token_signing_key.get_secret_value(), "GATEWAY_TOKEN_SIGNING_KEY")
    # The pending generated passwords' digest key: derived from the signing seed, so never in the database.
    digest_key = hmac.new(seed, b"structures: pending generated passwords", hashlib.sha256).digest()
    return Authenticator(
        hashing=PasswordHashing(workers=settings.password_hashing_workers, digest_key=digest_key),
        signer=TokenSigner(seed, lifetime_seconds=settings.access_token_minutes * 60),
        policy=PasswordPolicy(min_length=settings.password_min_length),
        refresh_lifetime=timedelta(hours=settings.refresh_token_hours),
        failures_per_pair=settings.login_failures_per_pair,
        failures_per_address=settings.login_failures_per_address,
        delay_base_seconds=settings.login_delay_base_seconds,
    )


async def load_demo_data(sessions: SessionFactory, issuing: PasswordIssuing | None, signal: OutboxSignal) -> None:
    """Reference data, the Nord demo and its two accounts, once (each does nothing when already there)."""
    async with sessions() as session, session.begin():
        if await load_reference_data(session):
            log.info("reference data loaded (Caf, départements, communes)")
        if await load_demo(session):
            log.info("Nord demo loaded (Escautpont and its neighbours)")
            if issuing is not None:
                await create_demo_accounts(session, issuing, now=datetime.now(UTC), signal=signal)


async def _follow_publications(
    runtime: ServiceRuntime, settings: GatewaySettings, feed: PublicationFeed, bus: InProcessBus | None
) -> None:
    """Feed this process's subscribers from every publication: the public topic, or the in-process bus.

    The reader starts before the log's last position is read, so nothing committed after that read is missed."""
    writer = FeedWriter(feed)
    runtime.gauges["publication_subscribers"] = lambda: feed.subscribers
    runtime.gauges["publications_read_to"] = lambda: (feed.next_position or 1) - 1  # what this process has read

    async def subscribers() -> float:
        return feed.subscribers

    runtime.metrics.simple_gauge(
        "structures_publication_subscribers", "Open publication subscriptions on this process", subscribers
    )
    runtime.metrics.counter(
        "structures_publications_skipped",
        "Messages of the public topic this process could not fan out, by reason (unreadable, not-a-publication)",
        "reason",
        lambda: writer.skipped,
    )
    topic_behind = None
    if bus is not None:
        bus.listen(Topic.PUBLICATIONS, writer)
    else:
        reader = KafkaBroadcastReader(
            Topic.PUBLICATIONS,
            writer,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            namespace=settings.kafka_topic_namespace,
            client_id="structures-gateway-publications",
        )
        runtime.spawn(reader.run(runtime.stop_event), "publications")
        topic_behind = reader.look_now
    async with runtime.sessions() as session:
        feed.start_at(await last_position(session) + 1)
    runtime.spawn(fill_gaps(feed, runtime.sessions, runtime.stop_event, topic_behind), "publication-gaps")


def response_caching(
    settings: GatewaySettings, documents: TrustedDocuments, feed: PublicationFeed, metrics: ServiceMetrics
) -> ResponseCaching | None:
    """The exact response cache of public answers, invalidated by the publications ``feed`` reads; None when off."""
    if settings.response_cache_mb <= 0:
        return None
    zone = ZoneInfo(settings.timezone)
    cache = ResponseCache(int(settings.response_cache_mb * 1_000_000))
    caching = ResponseCaching(
        cache, documents, lambda: datetime.now(zone).date(), settings.response_cache_refresh_workers
    )
    feed.on_read(caching.invalidation)
    export_metrics(caching, metrics)
    return caching


def create_app(settings: GatewaySettings, *, bus: InProcessBus | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = ServiceRuntime(replace(SPEC, consumer_group=settings.consumer_group), settings, bus, metrics)
        app.state.runtime = runtime
        graphql.trusted_documents.lookup = lambda identifier: _registered_document(runtime.sessions, identifier)
        if graphql.compiled:
            await graphql.compiled_reads.open(settings.database_url)
        read_engine = app.state.read_engine = create_read_engine(settings.database_url)
        app.state.reads = create_session_factory(read_engine) if read_engine is not None else None
        try:
            async with runtime.running():
                await _follow_publications(runtime, settings, feed, bus)
                if settings.demo_data:
                    await load_demo_data(runtime.sessions, app.state.issuing, runtime.signal)
                if caching is not None:
                    await caching.start(runtime.sessions, runtime.spawn, runtime.stop_event)
                zone = ZoneInfo(settings.timezone)
                runtime.spawn(
                    run_daily(
                        runtime.sessions, runtime.signal, runtime.stop_event, lambda: datetime.now(zone).date(),
                        settings.convention_check_seconds,
                    ),
                    "conventions",
                )  # fmt: skip
                yield
        finally:
            app.state.reads = app.state.read_engine = None
            if read_engine is not None:
                await read_engine.dispose()
            await graphql.compiled_reads.close()
            authenticator.hashing.close()

    authenticator = build_authenticator(settings)
    feed = PublicationFeed(settings.subscriber_buffer)

    async def jwks(_request: Request) -> JSONResponse:
        return JSONResponse(authenticator.signer.jwks(), headers={"cache-control": "public, max-age=300"})

    metrics = ServiceMetrics("gateway")
    graphql = GatewayGraphQL(settings, metrics)
    caching = response_caching(settings, graphql.trusted_documents, feed, metrics)
    front = graphql.front(metrics) if graphql.compiled else None
    routes = [
        *health_routes(_runtime_of),
        Route("/.well-known/jwks.json", jwks),
        *transmission_routes(_runtime_of, lambda: datetime.now(ZoneInfo(settings.timezone)).date()),
        Route("/graphql", front if front is not None else graphql),
        WebSocketRoute("/graphql", graphql),
        *graphiql_asset_routes(graphql.graphql_ide),
        Route("/config.json", lambda _request: web_config(settings.moderation_url)),
        Mount(
            "/", app=EspaceProfessionnel(settings.web_dist, settings.moderation_url), name="espace-professionnel"
        ),  # last
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(CorrelationIdMiddleware),
            Middleware(BodyLimitMiddleware, larger={TRANSMISSION_PATH: MAX_TRANSMISSION_BYTES}),
            Middleware(ConditionalGraphQLGet),
            *([Middleware(ResponseCacheMiddleware, caching=caching)] if caching is not None else []),
        ],
    )
    app.state.authenticator = authenticator
    app.state.feed = feed
    app.state.compiled_reads = graphql.compiled_reads
    app.state.compiled_front = front
    app.state.read_engine = app.state.reads = None  # the catalogue's read engine and its sessions (PostgreSQL)
    app.state.response_caching = caching
    app.state.webhooks = webhook_config(
        production=settings.production,
        sealing_key=settings.webhook_sealing_key.get_secret_value() if settings.webhook_sealing_key else None,
        allow_loopback=settings.webhook_allow_loopback,
    )  # fmt: skip
    app.state.rate_limiter = RateLimiter(settings.integrator_requests_per_second, settings.integrator_burst)
    app.state.issuing = (
        PasswordIssuing(
            authenticator.hashing, settings.notifier_public_key, timedelta(hours=settings.password_lifetime_hours)
        )
        if settings.notifier_public_key
        else None
    )
    return app
