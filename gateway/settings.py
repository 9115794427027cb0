"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore", frozen=True)

    port: int = 8000
    graphiql: bool = True
    """Serve the GraphiQL IDE on ``GET /graphql`` (never in production)."""
    introspection: bool = True
    """Answer introspection queries (never in production)."""
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_cache_size: int = 256
    """Entries of the parsed-document and validation caches (LRU)."""
    demo_data: bool = False
    """Load the reference data and the Nord demo at start-up when the catalogue is empty (embedded default)."""
    notifier_public_key: str | None = None
    """Base64 Curve25519 public key of the notifier: generated passwords are sealed with it (``structures keys``)."""
    password_lifetime_hours: int = 72
    """How long an e-mailed generated password may be used (single use)."""
    timezone: str = "Europe/Paris"
    """Where « today » is, for availabilities."""

    @property
    def production(self) -> bool:
        return self.environment == "production"
