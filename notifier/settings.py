"""Settings of the notifier (environment prefix ``NOTIFIER_``)."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import GraphQLServiceSettings


class NotifierSettings(GraphQLServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", env_file=".env", extra="ignore", frozen=True)

    port: int = 8002
    consumer_group: str = "structures-notifier"
    email_transport: Literal["smtp", "folder"] = "smtp"
    """``smtp`` sends through the SMTP server below; ``folder`` writes ``.eml`` files to ``mail_dir`` (embedded)."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "monenfant.fr STRUCTURES <ne-pas-repondre@structures.monenfant.example>"
    mail_dir: Path = Path(".data/mail")
    sealing_private_key: SecretStr | None = None
    """Base64 Curve25519 private key that opens the generated passwords sealed by the gateway (``structures keys``);
    without it, password e-mails are dead-lettered with the reason."""
    sealed_secret_hours: int = 72
    """A generated password waiting to be e-mailed is erased (the delivery failed) after this long: the password's
    own lifetime (``GATEWAY``'s 72 h), beyond which it opens nothing anyway."""
    token_public_key: str | None = None
    """The gateway's Ed25519 public key (base64url, the ``x`` of its JWKS): Caf agents' tokens for ``/graphql``."""
    max_attempts: int = 8
    """Temporary SMTP failures are retried with backoff this many times before the delivery is marked failed."""
    revocations_kept_minutes: int = 60
    """How long a revoked session or deactivated account is remembered: at least the gateway's access-token lifetime
    (``GATEWAY_ACCESS_TOKEN_MINUTES``), after which every token it could stop has expired anyway."""
