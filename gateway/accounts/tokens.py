"""Access tokens: short-lived JWTs signed with Ed25519 (EdDSA), verifiable by other services with the JWKS.

The moderation service and the notifier verify them with the public key the gateway publishes at
``/.well-known/jwks.json`` (``shared.tokens.TokenVerifier``). Built with PyNaCl so nothing but EdDSA is accepted.
"""

import hashlib
import json
import time
import uuid
from typing import Any

from nacl.signing import SigningKey

from gateway.accounts.states import AgentKind
from shared.tokens import GATEWAY, ISSUER, MODERATION, NOTIFIER, Claims, InvalidTokenError, TokenVerifier, b64url

__all__ = ["Claims", "InvalidTokenError", "TokenSigner", "TokenVerifier"]


def audiences(claims: Claims) -> list[str]:
    """The services a token may be presented to: only those the account may use. Moderation and the notifier
    serve Caf agents alone, and a session on a generated password may only change it, at the gateway."""
    if claims.kind == AgentKind.CAF_AGENT and not claims.temporary:
        return [GATEWAY, MODERATION, NOTIFIER]
    return [GATEWAY]


class TokenSigner:
    def __init__(self, seed: bytes, *, lifetime_seconds: int = 600) -> None:
        self._key = SigningKey(seed)
        self._lifetime = lifetime_seconds
        public = bytes(self._key.verify_key)
        self.key_id = hashlib.sha256(public).hexdigest()[:16]
        self._verifier = TokenVerifier(public, audience=GATEWAY)

    @property
    def lifetime_seconds(self) -> int:
        return self._lifetime

    def issue(self, claims: Claims) -> str:
        now = int(time.time())
        header = {"alg": "EdDSA", "typ": "JWT", "kid": self.key_id}
        payload = {
            "iss": ISSUER, "aud": audiences(claims), "sub": claims.account_id, "sid": claims.session_id,
            "iat": now, "exp": now + self._lifetime, "jti": uuid.uuid4().hex, "kind": claims.kind,
            "agent": claims.agent_number, "caf": claims.caf_code, "provider": claims.provider_id,
            "tmp": claims.temporary, "adm": claims.administrator,
        }  # fmt: skip
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        return f"{signing_input}.{b64url(self._key.sign(signing_input.encode()).signature)}"

    def verify(self, token: str) -> Claims:
        return self._verifier.verify(token)

    def jwks(self) -> dict[str, Any]:
        public = bytes(self._key.verify_key)
        key = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public), "kid": self.key_id, "alg": "EdDSA", "use": "sig"}
        return {"keys": [key]}
