"""Client credentials and bearer tokens of transmission clients: random secrets, kept as SHA-256 only.

As for integrator API keys, a slow password hash is pointless for 256-bit random secrets. Tokens are opaque and
looked up on each call, so revoking a client refuses its live tokens at once.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import unquote_plus

CLIENT_PREFIX = "stc_"
TOKEN_LIFETIME_SECONDS = 600
SCOPE = "availabilities:write"


@dataclass(frozen=True)
class NewCredentials:
    client_id: str
    secret: str
    """Shown once to the agent who granted or rotated it, never stored."""


def new_client_id() -> str:
    return CLIENT_PREFIX + secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(presented: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(presented), stored_digest)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 §2.3.1): id and secret form-urlencoded, then Base64 in a Basic header."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if colon else None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip() or None
