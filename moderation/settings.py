"""Settings of the moderation service (environment prefix ``MODERATION_``)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import GraphQLServiceSettings


class ModerationSettings(GraphQLServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MODERATION_", env_file=".env", extra="ignore", frozen=True)

    port: int = 8001
    consumer_group: str = "structures-moderation"
    graphiql: bool = True
    token_public_key: str | None = None
    """The gateway's Ed25519 public key (base64url, the ``x`` of its JWKS): moderators' tokens."""
    claim_lease_seconds: int = 900
    """How long a moderator's claim holds an item before another may take it (the console counts it down)."""
    cors_origins: tuple[str, ...] = ()
    """Exact origins whose pages may call ``/graphql`` from a browser (the gateway's espace professionnel, e.g.
    ``["https://structures.monenfant.fr"]``); none by default. Tokens travel in the ``Authorization`` header, so no
    credentials (cookies) are ever allowed."""
    revocations_kept_minutes: int = 60
    """How long a revoked session or deactivated account is remembered: at least the gateway's access-token lifetime
    (``GATEWAY_ACCESS_TOKEN_MINUTES``), after which every token it could stop has expired anyway."""
