"""S4, S16 (the operations added with accounts) and S17 over HTTP, on the gateway app."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway.accounts import services
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.habilitation.challenges import issue_challenge
from gateway.tables import outbox
from shared.sealing import generate_key_pair
from tests.gateway_app import gateway_client
from tests.integration.test_habilitation_request import REQUEST, escautpont_request

TEMPORARY = "Tmp4Pass"
CHOSEN = "le beffroi de Lille au printemps"
RESET = """mutation($i: String!, $c: ID!, $a: String!) { requestPasswordReset(input: {identifier: $i,
  challenge: {id: $c, answer: $a}}) { message userErrors { code } } }"""
LOGIN = 'mutation { login(input: {identifier: "%s", password: "%s"}) { session { accessToken } userErrors { code } } }'


async def _gql(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    return body


@contextlib.asynccontextmanager
async def _gateway(
    sqlite_catalogue: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    _, public = generate_key_pair()
    async with gateway_client(sqlite_catalogue, folder)(
        notifier_public_key=public, login_delay_base_seconds=0.0
    ) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
        issuing = PasswordIssuing(app.state.authenticator.hashing, public)
        async with app.state.runtime.sessions() as session, session.begin():
            now = datetime.now(UTC)
            for caf, last in (("CAF59", "Nord"), ("CAF02", "Aisne")):
                person = NewPerson(last, "Agent", "Agent de la Caf", f"agent@{caf.lower()}.example")
                await services.bootstrap_caf_agent(session, person, caf_code=caf, issuing=issuing, now=now)
        yield client


@pytest.fixture
async def client(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        yield client


async def _agent_token(client: httpx.AsyncClient, identifier: str) -> str:
    first = (await _gql(client, LOGIN % (identifier, TEMPORARY)))["data"]["login"]["session"]["accessToken"]
    change = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
      session { accessToken } } }"""
    return str(
        (await _gql(client, change, first, c=TEMPORARY, n=CHOSEN))["data"]["changePassword"]["session"]["accessToken"]
    )


async def _challenge(client: httpx.AsyncClient, purpose: str, text: str, *, now: datetime | None = None) -> str:
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        issued = await issue_challenge(session, purpose=purpose, now=now or datetime.now(UTC), text=text)
    return issued.id


async def test_s4_a_login_cannot_be_repeated_inside_one_request(client: httpx.AsyncClient) -> None:
    first, second = ((LOGIN % ("a.nord.caf59", g)).removeprefix("mutation { ").removesuffix(" }") for g in ("x1", "x2"))
    aliased = f"mutation {{ a: {first} b: {second} }}"

    body = await _gql(client, aliased)

    assert body.get("data") is None
    assert body["errors"][0]["message"] == "'login' may be asked only once per request (found 2)."


async def test_s16_only_the_requests_caf_processes_it(client: httpx.AsyncClient) -> None:
    nord, aisne = await _agent_token(client, "a.nord.caf59"), await _agent_token(client, "a.aisne.caf02")
    challenge = await _challenge(client, "HABILITATION_REQUEST", "ABCDEF")
    number = (await _gql(client, REQUEST, input=escautpont_request(challenge, "ABCDEF")))["data"][
        "requestHabilitation"
    ]["request"]["number"]
    act = """mutation($n: String!) { markConventionSent(input: {requestNumber: $n}) {
      request { status } userErrors { code } } }"""

    anonymous = await _gql(client, act, n=number)
    other_caf = await _gql(client, act, aisne, n=number)
    listing = await _gql(client, "{ habilitationRequests { totalCount edges { node { number } } } }", aisne)
    own = await _gql(client, act, nord, n=number)

    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert other_caf["data"]["markConventionSent"] == {"request": None, "userErrors": [{"code": "NOT_FOUND"}]}
    assert listing["data"]["habilitationRequests"] == {"totalCount": 0, "edges": []}
    assert own["data"]["markConventionSent"]["request"] == {"status": "CONVENTION_ENVOYEE"}
    deactivation = (
        'mutation { deactivateAgent(input: {agentNumber: "CAF59-0001", reason: "test"}) { userErrors { code } } }'
    )
    assert (await _gql(client, deactivation, aisne))["data"]["deactivateAgent"]["userErrors"] == [{"code": "NOT_FOUND"}]
    log = await _gql(client, "{ connectionLog { edges { node { event } } } }")
    assert log["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_s17_the_reset_challenge_is_single_use_expires_and_resets_are_rate_limited(
    client: httpx.AsyncClient,
) -> None:
    app: Any = client.app  # type: ignore[attr-defined]
    used = await _challenge(client, "PASSWORD_RESET", "RESET1")
    first = await _gql(client, RESET, i="a.nord.caf59", c=used, a="reset1")
    again = await _gql(client, RESET, i="a.nord.caf59", c=used, a="reset1")
    expired = await _challenge(client, "PASSWORD_RESET", "OLDONE", now=datetime.now(UTC) - timedelta(minutes=11))
    late = await _gql(client, RESET, i="a.nord.caf59", c=expired, a="oldone")
    unknown_challenge = await _challenge(client, "PASSWORD_RESET", "NOBODY")
    unknown = await _gql(client, RESET, i="x.inconnu", c=unknown_challenge, a="nobody")
    for index in range(6):
        await _gql(
            client,
            RESET,
            i="a.nord.caf59",
            c=await _challenge(client, "PASSWORD_RESET", f"MANY{index}X"),
            a=f"many{index}x",
        )

    assert first["data"]["requestPasswordReset"]["userErrors"] == []
    assert again["data"]["requestPasswordReset"]["userErrors"] == [{"code": "CHALLENGE_FAILED"}]
    assert late["data"]["requestPasswordReset"]["userErrors"] == [{"code": "CHALLENGE_FAILED"}]
    assert unknown["data"]["requestPasswordReset"] == first["data"]["requestPasswordReset"], "same answer"
    async with app.state.runtime.sessions() as session:
        issued = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.event_type.endswith("password.issued.v1"))
        )
    # 2 bootstrap passwords, then at most 5 resets an hour for the identifier, whatever was asked.
    assert issued == 2 + 5
