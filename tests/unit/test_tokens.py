import base64
import json
import os

import pytest
from nacl.signing import SigningKey

from gateway.accounts.tokens import Claims, InvalidTokenError, TokenSigner, TokenVerifier
from shared.tokens import GATEWAY, MODERATION, NOTIFIER, ForeignAudienceError

CLAIMS = Claims("acc-1", "family-1", "CAF_AGENT", "CAF59-0001", "CAF59", None, False, 0)


def test_a_token_is_verified_with_the_public_key_alone() -> None:
    signer = TokenSigner(os.urandom(32))
    jwk = signer.jwks()["keys"][0]
    public = base64.urlsafe_b64decode(jwk["x"] + "=")

    claims = TokenVerifier(public, audience=GATEWAY).verify(signer.issue(CLAIMS))

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


def _verifiers(signer: TokenSigner) -> dict[str, TokenVerifier]:
    public = base64.urlsafe_b64decode(signer.jwks()["keys"][0]["x"] + "=")
    return {audience: TokenVerifier(public, audience=audience) for audience in (GATEWAY, MODERATION, NOTIFIER)}


def _accepted_by(signer: TokenSigner, claims: Claims) -> set[str]:
    accepted = set()
    for audience, verifier in _verifiers(signer).items():
        try:
            verifier.verify(signer.issue(claims))
        except InvalidTokenError:
            continue
        accepted.add(audience)
    return accepted


def test_each_service_accepts_only_the_tokens_addressed_to_it() -> None:
    signer = TokenSigner(os.urandom(32))
    provider = Claims("acc-2", "family-2", "PROVIDER_AGENT", "59-ESC-0001", None, "provider-1", False, 0)
    temporary = Claims("acc-3", "family-3", "CAF_AGENT", "CAF59-0002", "CAF59", None, True, 0)

    assert _accepted_by(signer, CLAIMS) == {GATEWAY, MODERATION, NOTIFIER}
    assert _accepted_by(signer, provider) == {GATEWAY}  # moderation and the notifier serve Caf agents only
    assert _accepted_by(signer, temporary) == {GATEWAY}  # a generated password's session may only change it


def test_a_token_without_the_service_s_audience_is_refused_even_when_well_signed() -> None:
    seed = os.urandom(32)
    signer = TokenSigner(seed)
    token = signer.issue(CLAIMS)
    header, payload, _ = token.split(".")
    for audience in ("structures", ["structures-gateway-x"], None):
        changed = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"aud": audience}
        body = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
        signature = SigningKey(seed).sign(f"{header}.{body}".encode()).signature
        resigned = f"{header}.{body}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
        for verifier in _verifiers(signer).values():
            with pytest.raises(InvalidTokenError, match="another service"):
                verifier.verify(resigned)


def test_the_administrator_role_travels_in_the_token() -> None:
    signer = TokenSigner(os.urandom(32))
    administrator = Claims("acc-4", "family-4", "CAF_AGENT", "CAF59-0003", "CAF59", None, False, 0, administrator=True)

    assert signer.verify(signer.issue(administrator)).administrator is True
    assert signer.verify(signer.issue(CLAIMS)).administrator is False


def test_a_valid_token_for_other_services_names_its_bearer_and_an_expired_one_names_nobody() -> None:
    seed = os.urandom(32)
    signer, expired = TokenSigner(seed), TokenSigner(seed, lifetime_seconds=-1)
    moderation = _verifiers(signer)[MODERATION]
    provider = Claims("acc-2", "family-2", "PROVIDER_AGENT", "59-ESC-0001", None, "provider-1", False, 0)

    with pytest.raises(ForeignAudienceError) as foreign:
        moderation.verify(signer.issue(provider))
    with pytest.raises(InvalidTokenError) as stale:
        moderation.verify(expired.issue(provider))

    assert (foreign.value.claims.account_id, foreign.value.claims.kind) == ("acc-2", "PROVIDER_AGENT")
    assert not isinstance(stale.value, ForeignAudienceError)  # signed in nowhere: UNAUTHENTICATED, not FORBIDDEN
