"""The per-request GraphQL context: a session factory (never a shared session) and fresh DataLoaders."""

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from gateway.accounts.services import PasswordIssuing
from gateway.accounts.sessions import Authenticator, Client
from gateway.accounts.tokens import Claims
from gateway.graphql.loaders import Loaders
from gateway.integrators.keys import RateLimiter
from gateway.integrators.services import Integrator
from gateway.publications.feed import PublicationFeed
from gateway.webhooks.services import WebhookConfig
from shared.db import SessionFactory
from shared.outbox import OutboxSignal

if TYPE_CHECKING:
    from gateway.graphql.compiled import CompiledReads
    from gateway.graphql.rechecks import SubscriptionRechecks


@dataclass
class Context:
    sessions: SessionFactory
    loaders: Loaders
    today: date
    request_id: str
    signal: OutboxSignal | None = None
    """Wakes the outbox relay when a mutation's transaction commits."""
    auth: Authenticator | None = None
    claims: Claims | None = None
    """The verified access token of the request, if any."""
    client: Client = field(default_factory=lambda: Client(None, None))
    issuing: PasswordIssuing | None = None
    """How generated passwords are issued (``None`` when GATEWAY_NOTIFIER_PUBLIC_KEY is not set)."""
    feed: PublicationFeed | None = None
    """This process's live publications (subscriptions)."""
    connection_params: dict[str, object] | None = None
    """A WebSocket's ``connection_init`` payload (set by strawberry; read once, at connection)."""
    api_key: str | None = None
    """The API key presented (``X-Api-Key`` header, or ``apiKey`` in ``connection_init``), not yet checked."""
    integrator: Integrator | None = None
    """The integrator behind ``api_key``, once checked (``permissions.require_reader``)."""
    rate_limiter: RateLimiter | None = None
    recheck_seconds: float = 60.0
    """How often an open subscription checks that its key or session is still valid."""
    rechecks: "SubscriptionRechecks | None" = None
    """This process's shared recheck schedules (None: each subscription checks on its own)."""
    webhooks: WebhookConfig | None = None
    """How integrators' webhook endpoints are checked and their secrets sealed (None: webhooks unavailable)."""
    compiled_reads: "CompiledReads | None" = None
    """The compiled read path, when this request may take it (HTTP, PostgreSQL, ``GATEWAY_COMPILED_READS``)."""
    compiled_document: tuple[str, str | None] | None = None
    """The request's (document text, operation name) when the compiled front may learn it (a plain POST)."""
    reads: SessionFactory | None = None
    """Sessions for the public catalogue's reads: autocommit, without pre-ping (:func:`shared.db.create_read_engine`;
    run each read through :func:`shared.db.retry_once_if_disconnected`); ``None``: :attr:`sessions` serve them."""

    @property
    def read_sessions(self) -> SessionFactory:
        return self.reads if self.reads is not None else self.sessions

    @property
    def publication_feed(self) -> PublicationFeed:
        assert self.feed is not None, "the gateway app always provides the publication feed"
        return self.feed

    @property
    def authenticator(self) -> Authenticator:
        assert self.auth is not None, "the gateway app always provides the authenticator"
        return self.auth
