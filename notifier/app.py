"""Composition root of the notifier: consumes decisions and account events, sends e-mails."""

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from notifier import tables
from notifier.deliveries import DeliveryWorker
from notifier.email import EmailSender, FolderSender, SmtpSender
from notifier.graphql import Context, build_schema
from notifier.handlers import handlers
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.events import Topic
from shared.graphql_errors import StrictJsonBodies
from shared.graphql_protection import limits_from
from shared.http import BodyLimitMiddleware, CorrelationIdMiddleware, SecurityHeadersMiddleware
from shared.metrics import ServiceMetrics
from shared.revocations import is_revoked
from shared.runtime import RuntimeAccessor, ServiceRuntime, ServiceSpec, health_routes
from shared.sealing import open_sealed
from shared.tokens import NOTIFIER, Claims, ForeignAudienceError, InvalidTokenError, TokenVerifier, unb64url


def spec(settings: NotifierSettings) -> ServiceSpec:
    return ServiceSpec(
        name="notifier",
        migrations=Path(__file__).parent / "migrations",
        processed_events=tables.processed_events,
        consumer_group=settings.consumer_group,
        handlers=handlers(timedelta(minutes=settings.revocations_kept_minutes)),
        topics=(Topic.MODERATION_DECIDED.value, Topic.ACCOUNTS.value),
    )


def email_sender(settings: NotifierSettings) -> EmailSender:
    if settings.email_transport == "folder":
        return FolderSender(settings.mail_dir)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpSender(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_username,
        password=password,
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )


def _secret_opener(settings: NotifierSettings) -> Callable[[str], str] | None:
    if settings.sealing_private_key is None:
        return None
    private_key = settings.sealing_private_key.get_secret_value()
    return lambda sealed: open_sealed(sealed, private_key)


def create_app(settings: NotifierSettings, *, bus: InProcessBus | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = ServiceRuntime(spec(settings), settings, bus, metrics)
        app.state.runtime = runtime
        worker = DeliveryWorker(
            runtime.sessions,
            email_sender(settings),
            runtime.signal,
            mail_from=settings.mail_from,
            max_attempts=settings.max_attempts,
            open_secret=_secret_opener(settings),
            secret_lifetime=timedelta(hours=settings.sealed_secret_hours),
        )
        _measure_deliveries(metrics, worker)
        async with runtime.running():
            runtime.spawn(worker.run(runtime.stop_event), "deliveries")
            yield

    metrics = ServiceMetrics("notifier")
    graphql = NotifierGraphQL(settings, metrics)
    routes = [*health_routes(RuntimeAccessor()), Route("/graphql", graphql)]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(CorrelationIdMiddleware),
            Middleware(BodyLimitMiddleware),
        ],
    )


def _measure_deliveries(metrics: ServiceMetrics, worker: DeliveryWorker) -> None:
    metrics.counter(
        "structures_emails", "E-mail attempts by outcome: sent, deferred (temporary failure), failed", "outcome",
        lambda: worker.outcomes,
    )  # fmt: skip
    metrics.gauge(
        "structures_emails_pending", "E-mails waiting to be sent: count, and the oldest one's age in seconds",
        worker.pending, ("measure",),
    )  # fmt: skip


class NotifierGraphQL(StrictJsonBodies, GraphQL[Context, None]):
    def __init__(self, settings: NotifierSettings, metrics: ServiceMetrics) -> None:
        super().__init__(build_schema(metrics, limits_from(settings)), graphql_ide=None, allow_queries_via_get=False)
        key = settings.token_public_key
        self._verifier = TokenVerifier(unb64url(key), audience=NOTIFIER) if key else None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None = None) -> Context:
        runtime = RuntimeAccessor()(request)
        claims, for_this_service = self._claims(request.headers.get("authorization"))
        if claims is not None and await is_revoked(runtime.sessions, tables.revoked_sessions, claims):
            claims = None  # a logged-out session or a deactivated account: like an expired token
        return Context(runtime.sessions, claims, for_this_service)

    def _claims(self, header: str | None) -> tuple[Claims | None, bool]:
        """The bearer's claims, and whether its token names the notifier."""
        if self._verifier is None or not header or not header.lower().startswith("bearer "):
            return None, False
        try:
            return self._verifier.verify(header[7:].strip()), True
        except ForeignAudienceError as error:
            return error.claims, False
        except InvalidTokenError:
            return None, False
