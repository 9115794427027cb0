"""The client credentials grant as Authlib runs it with our client model and our two added rules."""

import base64
from typing import Any

from gateway.transmission import credentials
from gateway.transmission.token_server import PresentedClient, TokenRequest, TokenServer, presented_client_id

SECRET = "s3cret-of the vendor"
CLIENT = PresentedClient("stc_0123456789abcdef", credentials.digest(SECRET))


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _answer(headers: dict[str, str], **fields: str) -> tuple[int, dict[str, Any]]:
    request = TokenRequest("https://gateway/oauth/token", headers, fields)
    server = TokenServer(CLIENT if presented_client_id(request) == CLIENT.client_id else None)
    status, body = server.create_token_response(request)
    return status, dict(body)


def test_a_client_with_its_secret_gets_a_ten_minute_bearer_token_for_the_one_scope() -> None:
    status, body = _answer(_basic(CLIENT.client_id, "s3cret-of+the+vendor"), grant_type="client_credentials")
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == credentials.TOKEN_LIFETIME_SECONDS
    assert body["scope"] == credentials.SCOPE  # granted even when not asked for
    assert len(body["access_token"]) >= 40
    posted = _answer({}, grant_type="client_credentials", client_id=CLIENT.client_id, client_secret=SECRET)
    assert posted[0] == 200


def test_refusals_carry_the_codes_of_rfc_6749_section_5_2() -> None:
    basic = _basic(CLIENT.client_id, SECRET)
    assert _answer(basic, grant_type="password")[1]["error"] == "unsupported_grant_type"
    assert _answer(basic)[1]["error"] == "unsupported_grant_type"
    assert _answer(basic, grant_type="client_credentials", scope="admin")[1]["error"] == "invalid_scope"
    wrong = _answer(_basic(CLIENT.client_id, "guess"), grant_type="client_credentials")
    unknown = _answer({}, grant_type="client_credentials", client_id="stc_unknown", client_secret=SECRET)
    missing = _answer({}, grant_type="client_credentials")
    assert [wrong[1]["error"], unknown[1]["error"], missing[1]["error"]] == ["invalid_client"] * 3


def test_both_authentication_methods_at_once_are_refused() -> None:
    both = _answer(_basic(CLIENT.client_id, SECRET), grant_type="client_credentials", client_secret=SECRET)
    assert both == (401, both[1])
    assert both[1]["error"] == "invalid_client"
