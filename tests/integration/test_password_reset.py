"""A reset never locks the owner out (issue 12, item 2), on SQLite and PostgreSQL.

The generated password waits beside the current one: the current one and the open sessions keep working until the
new one is first used; then it is the password (to be changed) and the old one stops. Known and unknown
identifiers do the same work on the request.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway.accounts import services
from gateway.accounts.services import PasswordIssuing
from gateway.habilitation.challenges import issue_challenge
from gateway.tables import outbox
from tests.integration.test_login_throttling import TEMPORARY, count_calls, gateway_with_agent, gql, login

pytestmark = pytest.mark.integration

OWNER = "e.mathon.caf59"
CHOSEN = "le canal de l'Escaut en mai"
RESET_PASSWORD = "Rst7Word"
RESET = """mutation($i: String!, $c: ID!, $a: String!) { requestPasswordReset(input: {identifier: $i,
  challenge: {id: $c, answer: $a}}) { message userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken refreshToken } userErrors { code } } }"""
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { session { accessToken }
  userErrors { code } } }"""


async def _with_token(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    return body


async def _request_reset(client: httpx.AsyncClient, identifier: str) -> dict[str, Any]:
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        challenge = await issue_challenge(session, purpose="PASSWORD_RESET", now=datetime.now(UTC), text="RESETX")
    answer: dict[str, Any] = (await gql(client, RESET, i=identifier, c=challenge.id, a="resetx"))["data"][
        "requestPasswordReset"
    ]
    return answer


@pytest.fixture
async def gateway(catalogue_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """Élodie has chosen her password and is signed in; the next generated password is ``RESET_PASSWORD``."""
    async with gateway_with_agent(catalogue_url, monkeypatch) as client:
        first = (await login(client, TEMPORARY))["session"]["accessToken"]
        changed = await _with_token(client, first, CHANGE, c=TEMPORARY, n=CHOSEN)
        assert changed["data"]["changePassword"]["userErrors"] == []
        monkeypatch.setattr(services, "generate_password", lambda: RESET_PASSWORD)
        client.session = changed["data"]["changePassword"]["session"]  # type: ignore[attr-defined]
        yield client


async def test_a_reset_request_locks_nobody_out_until_the_new_password_is_used(gateway: httpx.AsyncClient) -> None:
    session: dict[str, str] = gateway.session  # type: ignore[attr-defined]

    answer = await _request_reset(gateway, OWNER)

    assert answer["userErrors"] == []
    me = await _with_token(gateway, session["accessToken"], "{ me { agentNumber } }")
    assert me["data"]["me"] == {"agentNumber": "CAF59-0001"}, "the request ends no session"
    refreshed = (await gql(gateway, REFRESH, t=session["refreshToken"]))["data"]["refreshSession"]
    assert refreshed["userErrors"] == []
    assert (await login(gateway, CHOSEN))["userErrors"] == [], "the current password keeps working"

    with_new = await login(gateway, RESET_PASSWORD)
    assert with_new["userErrors"] == []
    must_change = await _with_token(gateway, with_new["session"]["accessToken"], "{ me { agentNumber } }")
    assert must_change["errors"][0]["extensions"]["code"] == "FORBIDDEN", "temporary: to be changed first"
    assert (await login(gateway, CHOSEN))["userErrors"][0]["code"] == "INVALID_CREDENTIALS", "the old one stopped"
    assert (await login(gateway, RESET_PASSWORD))["userErrors"] == [], "it is now the (temporary) password"
    changed = await _with_token(gateway, with_new["session"]["accessToken"], CHANGE, c=RESET_PASSWORD, n=CHOSEN + "!")
    assert changed["data"]["changePassword"]["userErrors"] == []


async def test_a_reset_password_never_used_expires_and_the_current_one_stays(gateway: httpx.AsyncClient) -> None:
    app: Any = gateway.app  # type: ignore[attr-defined]
    issuing = PasswordIssuing(app.state.authenticator.hashing, app.state.issuing.notifier_public_key)
    long_ago = datetime.now(UTC) - timedelta(hours=73)
    async with app.state.runtime.sessions() as session, session.begin():
        assert await services.reset_password(session, OWNER, issuing=issuing, now=long_ago, signal=None)

    assert (await login(gateway, RESET_PASSWORD))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await login(gateway, CHOSEN))["userErrors"] == []


async def test_known_and_unknown_identifiers_do_the_same_work_on_a_reset(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = gateway.app  # type: ignore[attr-defined]
    digests = count_calls(monkeypatch, app.state.authenticator.hashing, "digest_generated")
    seals = count_calls(monkeypatch, services, "seal")
    generated = count_calls(monkeypatch, services, "generate_password")
    work, answers = [], []
    for identifier in (OWNER, "x.inconnu.caf59"):
        before = (generated(), digests(), seals())
        answers.append(await _request_reset(gateway, identifier))
        work.append((generated() - before[0], digests() - before[1], seals() - before[2]))

    assert work == [(1, 1, 1), (1, 1, 1)]
    assert answers[0] == answers[1]
    async with app.state.runtime.sessions() as session:
        staged = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.event_type.endswith("password.issued.v1"))
        )
    assert staged == 1 + 1, "the bootstrap password, then the known identifier's reset only"
