"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import GraphQLServiceSettings


class GatewaySettings(GraphQLServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore", frozen=True)

    port: int = 8000
    consumer_group: str = "structures-gateway"
    """Kafka consumer group applying the moderators' decisions."""
    graphiql: bool = True
    """Serve the GraphiQL IDE on ``GET /graphql`` (never in production)."""
    demo_data: bool = False
    """Load the reference data and the Nord demo at start-up when the catalogue is empty (embedded default)."""
    notifier_public_key: str | None = None
    """Base64 Curve25519 public key of the notifier: generated passwords are sealed with it (``structures keys``)."""
    password_lifetime_hours: int = 72
    """How long an e-mailed generated password may be used (single use)."""
    token_signing_key: SecretStr | None = None
    """Base64 Ed25519 seed signing the access tokens (``structures keys``). Without it each process makes its own at
    start-up: tokens then die with the process and are not shared between processes — fine for development only."""
    access_token_minutes: int = 10
    refresh_token_hours: int = 12
    password_hashing_workers: int = 1
    """Threads verifying passwords (argon2id is CPU-bound): a bound on the share of CPU a login storm can take."""
    password_min_length: int = 12
    """Chosen passwords: at least this many characters (never fewer than the convention's 8)."""
    login_failures_per_pair: int = 20
    """Login attempts per (identifier, address) pair and hour before further ones from that address are refused
    (S11 allows at most 100). The same identifier from another address is never refused, only slowed down."""
    login_failures_per_address: int = 100
    """Login attempts per address and hour, whatever the identifier."""
    login_delay_base_seconds: float = 0.25
    """Progressive delay after the third failure of a pair (or the 15th of an identifier from every address):
    base × 2^(failures − 3), at most 8 s."""
    convention_check_seconds: float = 3600.0
    """How often terminations due and renewal reminders are looked for."""
    timezone: str = "Europe/Paris"
    """Where « today » is, for availabilities."""
    subscriptions_per_connection: int = 10
    """Operations a WebSocket connection may run at once (graphql-transport-ws)."""
    subscriber_buffer: int = 256
    """Publications waiting for one subscriber; a subscriber that falls further behind is cut off."""
    web_dist: Path = Path(__file__).resolve().parent.parent / "web" / "dist"
    """The built espace professionnel served at ``/`` (``npm run build`` in ``web/``): the repository's ``web/dist``
    unless said otherwise."""
    websocket_allowed_origins: tuple[str, ...] = ()
    """Other origins whose pages may open a WebSocket (same-origin and non-browser clients always may)."""
    integrator_requests_per_second: float = 10.0
    """Requests (queries, subscriptions, connections) one API key may make per second on average…"""
    integrator_burst: int = 20
    """…and in a burst. Beyond, the answer is RATE_LIMITED with the seconds to wait."""
    subscription_recheck_seconds: float = 60.0
    """How often an open subscription checks its API key or session again (a revocation ends it within that time)."""
    connection_init_seconds: float = 10.0
    """A WebSocket that sends no ``connection_init`` within this time is closed (4408)."""
    response_cache_mb: float = Field(default=64.0, ge=0)
    """Memory of this process's exact response cache of public answers, in MB (LRU beyond); 0 turns it off."""
    response_cache_refresh_workers: int = Field(default=2, ge=0)
    """Dropped hot answers computed again at once in the background (refresh-ahead); 0: none."""
    compiled_reads: bool = True
    """On PostgreSQL, let the database build the JSON of public catalogue queries it can (one statement); off, or on
    SQLite, every query takes the normal GraphQL executor."""
    moderation_url: str | None = None
    """The moderation service's GraphQL URL as a browser reaches it (``http://127.0.0.1:8001/graphql``): the
    espace professionnel's Caf console reads it from ``/config.json`` and the page's policy lets it connect there.
    The moderation service must list the gateway's origin in ``MODERATION_CORS_ORIGINS``."""

    webhook_sealing_key: SecretStr | None = None
    """Base64 Curve25519 private key (``structures keys``): the gateway seals integrators' webhook signing secrets
    with its public half, the webhook dispatcher (``structures webhooks``) opens them to sign. Without it (and on
    SQLite) webhooks are off: registering an endpoint answers why."""
    webhook_allow_loopback: bool = False
    """Accept ``http://`` endpoints on loopback (tests, benchmarks); ignored in production (https, public only)."""
    webhook_retry_seconds: tuple[float, ...] = ()
    """Waits after each failed attempt (empty: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, ±20 %); then the delivery is
    dead (dead-letter list, replayable). Tests shrink it."""
    webhook_lease_seconds: float = Field(default=30.0, gt=0)
    """How long a claimed delivery is held by its dispatcher: a dispatcher killed mid-delivery leaves it to be sent
    again (same webhook-id) after this time."""
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    """Per attempt: an endpoint that has not answered by then has failed this attempt."""
    webhook_requests_per_endpoint: int = Field(default=4, ge=1)
    """Requests in flight to one endpoint at once: a slow endpoint holds these slots only, never the others'."""
    webhook_retention_days: float = Field(default=14.0, gt=0)
    """Delivered and dead deliveries stay this long in the delivery log (dead ones replayable), then are purged."""

    @field_validator("moderation_url")
    @classmethod
    def _an_http_url(cls, value: str | None) -> str | None:
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError("an http(s) URL, e.g. http://127.0.0.1:8001/graphql")
        return value or None

    def why_not_several_workers(self) -> str | None:
        if self.token_signing_key is None:
            return "every worker must sign and verify the same tokens: set GATEWAY_TOKEN_SIGNING_KEY (structures keys)"
        return super().why_not_several_workers()
