"""Access tokens as the services verify them: EdDSA (Ed25519) compact JWS, with the issuer's public key only.

The gateway signs them (``gateway.accounts.tokens.TokenSigner``) and publishes its key at
``/.well-known/jwks.json``; the other services hold that public key in their settings.
"""

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from shared.errors import PermanentError

ISSUER = "structures-gateway"
GATEWAY = "structures-gateway"
MODERATION = "structures-moderation"
NOTIFIER = "structures-notifier"
"""Audiences: each service accepts only the tokens whose ``aud`` names it."""


class InvalidTokenError(PermanentError):
    """The token is malformed, not ours, expired or altered."""


class ForeignAudienceError(InvalidTokenError):
    """A valid, unexpired token of ours issued for other services: its bearer is signed in, but may not use this one
    (a provider agent's token at moderation)."""

    def __init__(self, claims: "Claims") -> None:
        super().__init__("token for another service")
        self.claims = claims


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    account_id: str
    session_id: str
    kind: str
    agent_number: str
    caf_code: str | None
    provider_id: str | None
    temporary: bool
    """Issued against a generated password: only the password change is allowed."""
    expires_at: int
    administrator: bool = False
    """A Caf administrator: may also deactivate the Caf's agents and grant or withdraw the role."""


class TokenVerifier:
    """Verifies tokens with the public key only (what another service holds)."""

    def __init__(self, public_key: bytes, *, audience: str) -> None:
        self._key = VerifyKey(public_key)
        self._audience = audience

    def verify(self, token: str) -> Claims:
        try:
            header_part, payload_part, signature_part = token.split(".")
            header = json.loads(unb64url(header_part))
            if header.get("alg") != "EdDSA":
                raise InvalidTokenError("unsupported token algorithm")
            self._key.verify(f"{header_part}.{payload_part}".encode(), unb64url(signature_part))
            payload = json.loads(unb64url(payload_part))
        except (ValueError, BadSignatureError, UnicodeDecodeError) as error:
            raise InvalidTokenError("invalid token") from error
        if payload.get("iss") != ISSUER:
            raise InvalidTokenError("token from another issuer")
        # Expiry before audience: an expired token is no sign-in at all, wherever it was meant to go.
        if int(payload.get("exp", 0)) < time.time():
            raise InvalidTokenError("expired token")
        audiences = payload.get("aud")
        claims = _claims(payload)
        if self._audience not in (audiences if isinstance(audiences, list) else [audiences]):
            raise ForeignAudienceError(claims)
        return claims


def _claims(payload: dict[str, Any]) -> Claims:
    try:
        return Claims(
            account_id=payload["sub"], session_id=payload["sid"], kind=payload["kind"], agent_number=payload["agent"],
            caf_code=payload.get("caf"), provider_id=payload.get("provider"), temporary=bool(payload.get("tmp")),
            expires_at=int(payload["exp"]), administrator=bool(payload.get("adm")),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidTokenError("incomplete token") from error
