import base64
import json
import os

import pytest

from gateway.accounts.tokens import Claims, InvalidTokenError, TokenSigner, TokenVerifier

CLAIMS = Claims("acc-1", "family-1", "CAF_AGENT", "CAF59-0001", "CAF59", None, False, 0)


def test_a_token_is_verified_with_the_public_key_alone() -> None:
    signer = TokenSigner(os.urandom(32))
    jwk = signer.jwks()["keys"][0]
    public = base64.urlsafe_b64decode(jwk["x"] + "=")

    claims = TokenVerifier(public).verify(signer.issue(CLAIMS))

    assert (claims.account_id, claims.caf_code, claims.temporary) == ("acc-1", "CAF59", False)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"


def test_altered_foreign_none_alg_and_expired_tokens_are_refused() -> None:
    signer, other = TokenSigner(os.urandom(32)), TokenSigner(os.urandom(32))
    token = signer.issue(CLAIMS)
    header, payload, signature = token.split(".")
    raised = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"caf": "CAF75"}
    forged = base64.urlsafe_b64encode(json.dumps(raised).encode()).decode().rstrip("=")
    none_alg = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    expired = TokenSigner(os.urandom(32), lifetime_seconds=-1)

    for bad in (f"{header}.{forged}.{signature}", other.issue(CLAIMS), f"{none_alg}.{payload}.", "garbage"):
        with pytest.raises(InvalidTokenError):
            signer.verify(bad)
    with pytest.raises(InvalidTokenError, match="expired"):
        expired.verify(expired.issue(CLAIMS))
