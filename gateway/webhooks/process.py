"""``structures webhooks``: the dispatcher's process, wired from the gateway's settings (its composition root).

A process of its own rather than a task of the web processes: it scales, restarts and can be killed (W1 kills it
with -9 mid-run) without touching the API, and one web process too many never means one dispatcher too many.
"""

import asyncio
import logging
import signal
from datetime import timedelta
from pathlib import Path

from gateway.settings import GatewaySettings
from gateway.webhooks.dispatcher import Dispatcher, DispatchSettings
from gateway.webhooks.policy import RETRY_SCHEDULE, UrlPolicy
from gateway.webhooks.sending import HttpSender
from shared.db import create_engine, create_session_factory, upgrade_database
from shared.errors import ConfigurationError
from shared.sealing import public_key_of

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def dispatch_settings(settings: GatewaySettings) -> DispatchSettings:
    """The dispatcher's settings; :class:`ConfigurationError` saying why it cannot run here."""
    if settings.database_url.startswith("sqlite"):
        raise ConfigurationError(
            "webhooks need PostgreSQL (GATEWAY_DATABASE_URL): the embedded default has no webhook dispatcher"
        )
    if settings.webhook_sealing_key is None:
        raise ConfigurationError("GATEWAY_WEBHOOK_SEALING_KEY is not set (structures keys prints one)")
    private_key = settings.webhook_sealing_key.get_secret_value()
    public_key_of(private_key)  # a bad key is refused at start-up, not at the first delivery
    schedule = tuple(timedelta(seconds=s) for s in settings.webhook_retry_seconds) or RETRY_SCHEDULE
    return DispatchSettings(
        private_key, schedule=schedule, lease=timedelta(seconds=settings.webhook_lease_seconds),
        per_endpoint=settings.webhook_requests_per_endpoint,
        retention=timedelta(days=settings.webhook_retention_days),
    )  # fmt: skip


async def run_dispatcher(settings: GatewaySettings) -> None:
    """Dispatch until SIGINT or SIGTERM, then finish the requests in flight and record them."""
    dispatch = dispatch_settings(settings)
    if settings.migrate_on_start:
        await upgrade_database(MIGRATIONS, settings.database_url)
    engine = create_engine(settings.database_url, pool_size=4, pre_ping=False)  # each loop retries its turn
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        sender = HttpSender(
            UrlPolicy(allow_loopback=settings.webhook_allow_loopback and not settings.production),
            settings.webhook_timeout_seconds,
            settings.webhook_requests_per_endpoint,
        )  # fmt: skip
        dispatcher = Dispatcher(create_session_factory(engine), sender, dispatch)
        log.info("webhook dispatcher started")
        await dispatcher.run(stop)
        log.info("webhook dispatcher stopped", extra={"delivered": dispatcher.counts.delivered})
    finally:
        await engine.dispose()
