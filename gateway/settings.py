"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore", frozen=True)

    port: int = 8000
    graphiql: bool = True
    """Serve the GraphiQL IDE on ``GET /graphql`` (turn off in production along with introspection)."""
