"""Composition root of the notifier: consumes decisions and account events, sends e-mails."""

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware

from notifier import tables
from notifier.deliveries import DeliveryWorker
from notifier.email import EmailSender, FolderSender, SmtpSender
from notifier.handlers import HANDLERS
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.events import Topic
from shared.http import CorrelationIdMiddleware
from shared.runtime import RuntimeAccessor, ServiceRuntime, ServiceSpec, health_routes
from shared.sealing import open_sealed


def spec(settings: NotifierSettings) -> ServiceSpec:
    return ServiceSpec(
        name="notifier",
        migrations=Path(__file__).parent / "migrations",
        processed_events=tables.processed_events,
        consumer_group=settings.consumer_group,
        handlers=HANDLERS,
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
        runtime = ServiceRuntime(spec(settings), settings, bus)
        app.state.runtime = runtime
        worker = DeliveryWorker(
            runtime.sessions,
            email_sender(settings),
            runtime.signal,
            mail_from=settings.mail_from,
            max_attempts=settings.max_attempts,
            open_secret=_secret_opener(settings),
        )
        async with runtime.running():
            runtime.spawn(worker.run(runtime.stop_event), "deliveries")
            yield

    routes = health_routes(RuntimeAccessor())
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(CorrelationIdMiddleware)])
