"""Login, first-login password change, refresh rotation, logout, throttling, logs (S11, S12, S13, S14, S15)."""

import base64
import contextlib
import logging
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts import services
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import connection_log
from gateway.accounts.tokens import TokenVerifier
from shared.sealing import generate_key_pair
from shared.tokens import GATEWAY
from tests.gateway_app import gateway_client

TEMPORARY = "Tmp4Pass"
CHOSEN = "le canal de l'Escaut en mai"
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken refreshToken expiresIn mustChangePassword } userErrors { field code message } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken refreshToken mustChangePassword } userErrors { field code message } } }"""
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  session { accessToken refreshToken } userErrors { code } } }"""
ME = "{ me { agentNumber kind cafCode } }"


@contextlib.asynccontextmanager
async def _gateway_with_agent(
    sqlite_catalogue: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, failures: int
) -> AsyncIterator[httpx.AsyncClient]:
    _, public = generate_key_pair()
    settings = {
        "notifier_public_key": public,
        "login_delay_base_seconds": 0.0,
        "login_failures_per_identifier": failures,
    }
    async with gateway_client(sqlite_catalogue, folder)(**settings) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
        issuing = PasswordIssuing(app.state.authenticator.hashing, public)
        person = NewPerson("Mathon", "Élodie", "Agent de la Caf", "e.mathon@caf59.example")
        async with app.state.runtime.sessions() as session, session.begin():
            now = datetime.now(UTC)
            await services.bootstrap_caf_agent(session, person, caf_code="CAF59", issuing=issuing, now=now)
        yield client


@pytest.fixture
async def client(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with the first agent of the Caf du Nord, throttled after 5 failures an hour."""
    async with _gateway_with_agent(sqlite_catalogue, tmp_path, monkeypatch, failures=5) as client:
        yield client


async def _gql(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    return body


async def _login(client: httpx.AsyncClient, password: str, identifier: str = "e.mathon.caf59") -> dict[str, Any]:
    result: dict[str, Any] = (await _gql(client, LOGIN, i=identifier, p=password))["data"]["login"]
    return result


async def test_first_login_allows_only_the_password_change_then_the_chosen_one_works(client: httpx.AsyncClient) -> None:
    first = await _login(client, TEMPORARY)
    assert first["session"]["mustChangePassword"] is True
    token = first["session"]["accessToken"]
    refused = await _gql(client, ME, token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["message"] == "Mot de passe provisoire : changez-le avant toute autre opération."

    weak = (await _gql(client, CHANGE, token, c=TEMPORARY, n="soleil2024"))["data"]["changePassword"]
    personal = (await _gql(client, CHANGE, token, c=TEMPORARY, n="elodie.mathon.caf59!"))["data"]["changePassword"]
    assert [e["code"] for e in weak["userErrors"]] == ["TOO_SHORT", "TOO_COMMON"]
    assert {e["code"] for e in personal["userErrors"]} == {"CONTAINS_IDENTIFIER", "CONTAINS_NAME"}
    assert weak["userErrors"][0]["message"] == "Le mot de passe doit comporter au moins 12 caractères."

    changed = (await _gql(client, CHANGE, token, c=TEMPORARY, n=CHOSEN))["data"]["changePassword"]
    assert changed["userErrors"] == []
    assert changed["session"]["mustChangePassword"] is False
    me = await _gql(client, ME, changed["session"]["accessToken"])
    assert me["data"]["me"] == {"agentNumber": "CAF59-0001", "kind": "CAF_AGENT", "cafCode": "CAF59"}
    assert (await _login(client, TEMPORARY))["userErrors"][0]["code"] == "INVALID_CREDENTIALS", "single use"
    assert (await _login(client, CHOSEN))["session"]["mustChangePassword"] is False
    assert (await _gql(client, ME, token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", "old session"


async def test_s12_unknown_identifier_and_wrong_password_answer_the_same(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong: list[float] = []
    unknown: list[float] = []
    async with _gateway_with_agent(sqlite_catalogue, tmp_path, monkeypatch, failures=100) as client:
        for index in range(15):
            started = time.perf_counter()
            wrong_body = await _gql(client, LOGIN, i="e.mathon.caf59", p="pas le bon")
            wrong.append(time.perf_counter() - started)
            started = time.perf_counter()
            unknown_body = await _gql(client, LOGIN, i=f"x.inconnu.{index}", p="pas le bon")
            unknown.append(time.perf_counter() - started)
            assert wrong_body == unknown_body

    assert unknown_body["data"]["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert abs(statistics.median(wrong) - statistics.median(unknown)) < 0.005


async def test_s11_failures_are_throttled_per_identifier_without_locking_out_others(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await _login(client, "pas le bon"))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"

    blocked = await _login(client, TEMPORARY)
    other = await _login(client, "pas le bon", identifier="k.lefebvre.escautpont")

    assert blocked["userErrors"][0]["code"] == "THROTTLED"
    assert blocked["session"] is None
    assert other["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_s15_refresh_tokens_rotate_and_a_replayed_one_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = (await _login(client, TEMPORARY))["session"]
    second = (await _gql(client, REFRESH, t=first["refreshToken"]))["data"]["refreshSession"]["session"]
    assert second["refreshToken"] != first["refreshToken"]

    replay = (await _gql(client, REFRESH, t=first["refreshToken"]))["data"]["refreshSession"]
    after = (await _gql(client, REFRESH, t=second["refreshToken"]))["data"]["refreshSession"]

    assert replay["userErrors"] == [{"code": "INVALID_REFRESH_TOKEN"}]
    assert after["userErrors"] == [{"code": "INVALID_REFRESH_TOKEN"}], "the whole family is revoked"


async def test_s15_logout_ends_the_session_at_once(client: httpx.AsyncClient) -> None:
    session = (await _login(client, TEMPORARY))["session"]
    changed = (await _gql(client, CHANGE, session["accessToken"], c=TEMPORARY, n=CHOSEN))["data"]["changePassword"]
    token, refresh = changed["session"]["accessToken"], changed["session"]["refreshToken"]

    assert (await _gql(client, "mutation { logout { ok } }", token))["data"]["logout"] == {"ok": True}
    assert (await _gql(client, ME, token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await _gql(client, REFRESH, t=refresh))["data"]["refreshSession"]["userErrors"][0]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )


async def test_the_connection_log_records_each_event_with_address_and_agent(client: httpx.AsyncClient) -> None:
    await _login(client, "pas le bon")
    session = (await _login(client, TEMPORARY))["session"]
    await _gql(client, CHANGE, session["accessToken"], c=TEMPORARY, n=CHOSEN)

    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as db:
        rows = (await db.execute(select(connection_log).order_by(connection_log.c.at))).all()
    assert [r.event for r in rows] == ["LOGIN_FAILED", "LOGIN_OK", "PASSWORD_CHANGED"]
    assert {r.address for r in rows} == {"203.0.113.7"}
    assert all(r.user_agent for r in rows)


async def test_s14_no_password_or_token_in_the_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        session = (await _login(client, TEMPORARY))["session"]
        changed = await _gql(client, CHANGE, session["accessToken"], c=TEMPORARY, n=CHOSEN)

    secrets = [TEMPORARY, CHOSEN, session["accessToken"], session["refreshToken"]]
    secrets += [changed["data"]["changePassword"]["session"]["refreshToken"]]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "the requests did log something"
    assert not [secret for secret in secrets if secret in logged]


async def test_the_access_token_verifies_with_the_published_jwks(client: httpx.AsyncClient) -> None:
    session = (await _login(client, TEMPORARY))["session"]
    jwks = (await client.get("/.well-known/jwks.json")).json()

    public = base64.urlsafe_b64decode(jwks["keys"][0]["x"] + "=")
    claims = TokenVerifier(public, audience=GATEWAY).verify(session["accessToken"])

    assert (claims.agent_number, claims.temporary) == ("CAF59-0001", True)
