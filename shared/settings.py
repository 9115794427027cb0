"""Settings base class shared by the three services.

Each service declares its own subclass with its own environment prefix (``GATEWAY_``, ``MODERATION_``,
``NOTIFIER_``); settings are built once at start-up by :func:`load_settings` and passed down, never imported as
a global. Precedence: environment, then ``.env``, then the defaults below.
"""

from typing import Literal, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigurationError

BusKind = Literal["kafka", "inprocess"]


class ServiceSettings(BaseSettings):
    """What every service needs: its database, the event bus, its HTTP listener and its logs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str
    """SQLAlchemy async URL of the service's own database (``postgresql+asyncpg://…`` or ``sqlite+aiosqlite://…``)."""
    bus: BusKind = "kafka"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_namespace: str = ""
    """Optional prefix of every topic name (``<namespace>.structures.…``), to isolate tenants or test runs."""
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: str = ""
    """Addresses (or networks) of the reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed, comma
    separated (``GATEWAY_TRUSTED_PROXIES=10.0.0.5``). None by default: the address is the connection's, so a client
    cannot choose the address its login attempts are counted against."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    migrate_on_start: bool = True
    environment: Literal["development", "production"] = "development"
    outbox_poll_seconds: float = 0.5
    metrics_token: SecretStr | None = None
    """When set, ``/metrics`` answers only ``Authorization: Bearer <token>`` (401 otherwise): the figures describe
    the service's load and backlogs, for the scraper, not the public."""

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def why_not_several_workers(self) -> str | None:
        """Why this configuration cannot run in several processes (``--workers``), or None."""
        if self.bus == "inprocess":
            return "the in-process bus lives in one process: several workers need Kafka"
        if self.database_url.startswith("sqlite"):
            return "SQLite is for one process: several workers need PostgreSQL"
        return None


class GraphQLServiceSettings(ServiceSettings):
    """A service with a GraphQL endpoint: the limits of :mod:`shared.graphql_protection` (production always turns
    introspection and suggestions off, whatever ``introspection`` says)."""

    introspection: bool = True
    """Answer introspection queries (never in production)."""
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_max_cost: int = 20000
    """Estimated cost above which a document is refused: each field 1, a list's selection times its ``first``."""
    graphql_page_size: int = 200
    """Items counted for a ``first`` given by a variable (the largest page any list serves)."""
    graphql_timeout_seconds: float = 15.0
    """A query or mutation still running after this is cancelled and answered TIMEOUT."""
    graphql_cache_size: int = 256
    """Entries of the parsed-document and validation caches (LRU)."""


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Build ``cls`` from the environment, or raise :class:`ConfigurationError` naming each bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = [_describe(prefix, error) for error in exc.errors()]
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None


def _describe(prefix: str, error: object) -> str:
    assert isinstance(error, dict)
    location = "_".join(str(part) for part in error.get("loc", ()))
    variable = f"{prefix}{location}".upper()
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        message = "is required but not set"
    return f"{variable} {message}"
