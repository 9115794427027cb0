"""Access tokens: short-lived JWTs signed with Ed25519 (EdDSA), verifiable by other services with the JWKS.

The moderation service verifies them with the public key the gateway publishes at ``/.well-known/jwks.json``.
Compact JWS, built here with PyNaCl so nothing but the EdDSA algorithm is ever accepted.
"""

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from shared.errors import PermanentError

ISSUER = "structures-gateway"
AUDIENCE = "structures"


class InvalidTokenError(PermanentError):
    """The token is malformed, not ours, expired or altered."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
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


class TokenSigner:
    def __init__(self, seed: bytes, *, lifetime_seconds: int = 600) -> None:
        self._key = SigningKey(seed)
        self._lifetime = lifetime_seconds
        public = bytes(self._key.verify_key)
        self.key_id = hashlib.sha256(public).hexdigest()[:16]
        self._verifier = TokenVerifier(public)

    @property
    def lifetime_seconds(self) -> int:
        return self._lifetime

    def issue(self, claims: Claims) -> str:
        now = int(time.time())
        header = {"alg": "EdDSA", "typ": "JWT", "kid": self.key_id}
        payload = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": claims.account_id, "sid": claims.session_id,
            "iat": now, "exp": now + self._lifetime, "jti": uuid.uuid4().hex, "kind": claims.kind,
            "agent": claims.agent_number, "caf": claims.caf_code, "provider": claims.provider_id,
            "tmp": claims.temporary,
        }  # fmt: skip
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
        return f"{signing_input}.{_b64url(self._key.sign(signing_input.encode()).signature)}"

    def verify(self, token: str) -> Claims:
        return self._verifier.verify(token)

    def jwks(self) -> dict[str, Any]:
        public = bytes(self._key.verify_key)
        key = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(public), "kid": self.key_id, "alg": "EdDSA", "use": "sig"}
        return {"keys": [key]}


class TokenVerifier:
    """Verifies tokens with the public key only (what another service holds)."""

    def __init__(self, public_key: bytes) -> None:
        self._key = VerifyKey(public_key)

    def verify(self, token: str) -> Claims:
        try:
            header_part, payload_part, signature_part = token.split(".")
            header = json.loads(_unb64url(header_part))
            if header.get("alg") != "EdDSA":
                raise InvalidTokenError("unsupported token algorithm")
            self._key.verify(f"{header_part}.{payload_part}".encode(), _unb64url(signature_part))
            payload = json.loads(_unb64url(payload_part))
        except (ValueError, BadSignatureError, UnicodeDecodeError) as error:
            raise InvalidTokenError("invalid token") from error
        if payload.get("iss") != ISSUER or payload.get("aud") != AUDIENCE:
            raise InvalidTokenError("token from another issuer")
        if int(payload.get("exp", 0)) < time.time():
            raise InvalidTokenError("expired token")
        return Claims(
            account_id=payload["sub"], session_id=payload["sid"], kind=payload["kind"], agent_number=payload["agent"],
            caf_code=payload.get("caf"), provider_id=payload.get("provider"), temporary=bool(payload.get("tmp")),
            expires_at=int(payload["exp"]),
        )  # fmt: skip
