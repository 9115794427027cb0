"""Login, first-login password change, refresh rotation, logout, throttling, logs (S11, S12, S13, S14, S15)."""

import base64
import contextlib
import logging
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
from tests.integration.test_login_throttling import count_calls

TEMPORARY = "Tmp4Pass"
CHOSEN = "le canal de l'Escaut en mai"
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken refreshToken expiresIn mustChangePassword } userErrors { field code message } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken refreshToken mustChangePassword } userErrors { field code message } } }"""
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  session { accessToken refreshToken } userErrors { code } } }"""
ME = "{ me { agentNumber kind cafCode email } }"


@contextlib.asynccontextmanager
async def _gateway_with_agent(
    sqlite_catalogue: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, failures: int
) -> AsyncIterator[httpx.AsyncClient]:
    _, public = generate_key_pair()
    settings = {
        "notifier_public_key": public,
        "login_delay_base_seconds": 0.0,
        "login_failures_per_pair": failures,
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
    """The gateway with the first agent of the Caf du Nord, throttled after 5 failures an hour from one address."""
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
    assert me["data"]["me"] == {
        "agentNumber": "CAF59-0001",
        "kind": "CAF_AGENT",
        "cafCode": "CAF59",
        "email": "e.mathon@caf59.example",
    }
    assert (await _login(client, TEMPORARY))["userErrors"][0]["code"] == "INVALID_CREDENTIALS", "single use"
    assert (await _login(client, CHOSEN))["session"]["mustChangePassword"] is False
    assert (await _gql(client, ME, token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", "old session"


CHECK = "query($p: String!) { passwordCheck(password: $p) { acceptable problems { field code message } } }"


async def test_a_temporary_session_checks_candidates_as_typed_with_the_change_s_messages(
    client: httpx.AsyncClient,
) -> None:
    token = (await _login(client, TEMPORARY))["session"]["accessToken"]
    checks = {
        candidate: (await _gql(client, CHECK, token, p=candidate))["data"]["passwordCheck"]
        for candidate in ("soleil2024", "elodie.mathon.caf59!", CHOSEN)
    }
    changes = {
        candidate: (await _gql(client, CHANGE, token, c=TEMPORARY, n=candidate))["data"]["changePassword"]
        for candidate in ("soleil2024", "elodie.mathon.caf59!")
    }
    for candidate, change in changes.items():
        assert checks[candidate]["acceptable"] is False
        assert checks[candidate]["problems"] == change["userErrors"], "the same rules, messages and field"
    assert checks[CHOSEN] == {"acceptable": True, "problems": []}
    assert (await _login(client, TEMPORARY))["session"] is not None, "checking changed nothing"
    assert (await _gql(client, CHECK, None, p=CHOSEN))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_s12_unknown_identifier_wrong_password_and_pending_reset_do_the_same_work(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S12's property: the same answer and the same work (one argon2 verify, one digest check) on every path. The
    time itself is measured by ``bench/run_reset_timing_bench.py`` (key S12 of ``latest.json``)."""
    app: Any = client.app  # type: ignore[attr-defined]
    hashing = app.state.authenticator.hashing
    await _login(client, "pas le bon", identifier="x.inconnu")  # warms the app up; not counted
    verifications = count_calls(monkeypatch, hashing, "verify")
    digest_checks = count_calls(monkeypatch, hashing, "matches_generated")
    work = []
    bodies = []
    for identifier in ("e.mathon.caf59", "x.inconnu.1", "e.mathon.caf59"):
        before = (verifications(), digest_checks())
        bodies.append(await _gql(client, LOGIN, i=identifier, p="pas le bon"))
        work.append((verifications() - before[0], digest_checks() - before[1]))
        issuing = PasswordIssuing(hashing, app.state.issuing.notifier_public_key)
        async with app.state.runtime.sessions() as session, session.begin():  # a reset pending for the third
            await services.reset_password(
                session, "e.mathon.caf59", issuing=issuing, now=datetime.now(UTC), signal=None
            )

    assert work == [(1, 1)] * 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["data"]["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_s11_failures_are_throttled_per_identifier_and_address_without_locking_out_others(
    client: httpx.AsyncClient,
) -> None:
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
