"""S11 under concurrency, S15's single use under concurrency, and which address counts (issue 12, items 3 and 4).

On SQLite and PostgreSQL: attempts are counted atomically before the password is checked, per (identifier,
address) pair and per address; the owner elsewhere still signs in; one refresh token used many times at once opens
one session; proxy headers count only from configured proxies.
"""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway.accounts import services, sessions
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.sessions import Client, Refusal
from gateway.accounts.tables import connection_log, refresh_tokens
from gateway.settings import GatewaySettings
from shared.sealing import generate_key_pair
from shared.server import uvicorn_server
from tests.e2e.processes import free_port
from tests.gateway_app import gateway_at

pytestmark = pytest.mark.integration

TEMPORARY = "Tmp4Pass"
OWNER = "e.mathon.caf59"
ATTACKER = "198.51.100.66"
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken refreshToken } userErrors { code message } } }"""
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  session { accessToken refreshToken } userErrors { code } } }"""


@contextlib.asynccontextmanager
async def gateway_with_agent(
    database_url: str, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway on ``database_url`` with Élodie Mathon, Caf du Nord agent, whose password is ``TEMPORARY``."""
    _, public = generate_key_pair()
    async with gateway_at(database_url, notifier_public_key=public, login_delay_base_seconds=0.0, **settings) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
        issuing = PasswordIssuing(app.state.authenticator.hashing, public)
        person = NewPerson("Mathon", "Élodie", "Agent de la Caf", "e.mathon@caf59.example")
        async with app.state.runtime.sessions() as session, session.begin():
            await services.bootstrap_caf_agent(
                session, person, caf_code="CAF59", issuing=issuing, now=datetime.now(UTC)
            )
        yield client


@contextlib.asynccontextmanager
async def from_address(client: httpx.AsyncClient, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another client of the same app, connecting from ``address``."""
    app: Any = client.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, client=(address, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as other:
        yield other


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    return body


async def login(client: httpx.AsyncClient, password: str, identifier: str = OWNER) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(client, LOGIN, i=identifier, p=password))["data"]["login"]
    return result


def count_calls(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> Callable[[], int]:
    """Count the calls of ``target.name`` (still calling it)."""
    calls = 0
    original = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    return lambda: calls


@pytest.fixture
async def gateway(catalogue_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """Élodie's gateway, at most 20 attempts per (identifier, address) pair and 100 per address an hour."""
    async with gateway_with_agent(catalogue_url, monkeypatch) as client:
        yield client


async def test_s11_forty_parallel_guesses_get_exactly_the_limit_checked(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = gateway.app  # type: ignore[attr-defined]
    verifications = count_calls(monkeypatch, app.state.authenticator.hashing, "verify")

    async with from_address(gateway, ATTACKER) as attacker:
        answers = await asyncio.gather(*(login(attacker, f"essai {n}") for n in range(40)))

    codes = Counter(answer["userErrors"][0]["code"] for answer in answers)
    assert codes == {"INVALID_CREDENTIALS": 20, "THROTTLED": 20}
    assert verifications() == 20, "a refused attempt never reaches the password check"
    throttled = next(a for a in answers if a["userErrors"][0]["code"] == "THROTTLED")
    assert throttled["userErrors"][0]["message"].startswith("Trop de tentatives infructueuses")


async def test_s11_guesses_from_one_address_never_lock_the_owner_out(gateway: httpx.AsyncClient) -> None:
    async with from_address(gateway, ATTACKER) as attacker:
        for n in range(22):
            await login(attacker, f"essai {n}")
        from_the_attacker = await login(attacker, TEMPORARY)
    async with from_address(gateway, "192.0.2.10") as owner:
        from_the_owner = await login(owner, TEMPORARY)

    assert from_the_attacker["userErrors"][0]["code"] == "THROTTLED", "the pair is refused"
    assert from_the_owner["userErrors"] == [], "the owner elsewhere still signs in"
    assert from_the_owner["session"]["accessToken"]


async def test_s11_an_address_trying_many_identifiers_is_refused_and_others_are_not(
    catalogue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with gateway_with_agent(catalogue_url, monkeypatch, login_failures_per_address=10) as client:
        async with from_address(client, ATTACKER) as attacker:
            spread = await asyncio.gather(*(login(attacker, "essai", f"x.personne.{n}") for n in range(14)))
            then = await login(attacker, TEMPORARY)
        owner = await login(client, TEMPORARY)

    assert Counter(a["userErrors"][0]["code"] for a in spread) == {"INVALID_CREDENTIALS": 10, "THROTTLED": 4}
    assert then["userErrors"][0]["code"] == "THROTTLED"
    assert owner["userErrors"] == []


async def test_s11_a_successful_login_gives_its_attempt_back(
    catalogue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with gateway_with_agent(catalogue_url, monkeypatch, login_failures_per_pair=3) as client:
        for _ in range(2):
            assert (await login(client, "essai"))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
        assert (await login(client, TEMPORARY))["userErrors"] == []
        after = [await login(client, "essai") for _ in range(4)]

    assert [a["userErrors"][0]["code"] for a in after] == ["INVALID_CREDENTIALS"] * 3 + ["THROTTLED"]


async def test_s15_one_refresh_token_sent_eight_times_at_once_opens_one_session(gateway: httpx.AsyncClient) -> None:
    first = (await login(gateway, TEMPORARY))["session"]

    answers = await asyncio.gather(*(gql(gateway, REFRESH, t=first["refreshToken"]) for _ in range(8)))

    payloads = [answer["data"]["refreshSession"] for answer in answers]
    winners = [p["session"] for p in payloads if p["session"] is not None]
    assert len(winners) == 1
    assert (
        sorted(str(p["userErrors"]) for p in payloads if p["session"] is None)
        == ["[{'code': 'INVALID_REFRESH_TOKEN'}]"] * 7
    )
    app: Any = gateway.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        issued = await session.scalar(select(func.count()).select_from(refresh_tokens))
        live = await session.scalar(
            select(func.count()).select_from(refresh_tokens).where(refresh_tokens.c.revoked_at.is_(None))
        )
    assert (issued, live) == (2, 0), "one new token only, and the replays revoked the family"
    later = (await gql(gateway, REFRESH, t=winners[0]["refreshToken"]))["data"]["refreshSession"]
    assert later["userErrors"] == [{"code": "INVALID_REFRESH_TOKEN"}]


@contextlib.asynccontextmanager
async def served(client: httpx.AsyncClient, trusted_proxies: str) -> AsyncIterator[str]:
    """The app behind uvicorn configured as ``structures`` configures it, on loopback."""
    app: Any = client.app  # type: ignore[attr-defined]
    settings = GatewaySettings(database_url="sqlite+aiosqlite://", port=free_port(), trusted_proxies=trusted_proxies)
    server = uvicorn_server(app, settings)
    server.config.lifespan = "off"  # the app's lifespan already runs in this test
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{settings.port}/graphql"
    finally:
        server.should_exit = True
        await serving


@pytest.mark.parametrize(("trusted_proxies", "recorded"), [("", "127.0.0.1"), ("127.0.0.1", "198.51.100.77")])
async def test_s11_x_forwarded_for_counts_only_from_a_configured_proxy(
    catalogue_url: str, monkeypatch: pytest.MonkeyPatch, trusted_proxies: str, recorded: str
) -> None:
    async with gateway_with_agent(catalogue_url, monkeypatch) as client, served(client, trusted_proxies) as url:
        async with httpx.AsyncClient() as http:
            body = {"query": LOGIN, "variables": {"i": OWNER, "p": "essai"}}
            await http.post(url, json=body, headers={"x-forwarded-for": "198.51.100.77"})
        app: Any = client.app  # type: ignore[attr-defined]
        async with app.state.runtime.sessions() as session:
            addresses = (
                await session.scalars(select(connection_log.c.address).where(connection_log.c.event == "LOGIN_FAILED"))
            ).all()

    assert addresses == [recorded]


async def test_s11_failures_from_many_addresses_slow_the_identifier_down_but_never_refuse_it(
    gateway: httpx.AsyncClient,
) -> None:
    app: Any = gateway.app  # type: ignore[attr-defined]
    auth = replace(app.state.authenticator, delay_base_seconds=0.5)
    attempts = []
    for n in range(30):
        async with app.state.runtime.sessions() as session, session.begin():
            client = Client(f"198.51.100.{n}", None)
            attempts.append(await sessions.reserve_login(session, auth, OWNER, client, datetime.now(UTC)))

    assert not [a for a in attempts if isinstance(a, Refusal)], "no per-identifier refusal"
    delays = [a.delay for a in attempts if not isinstance(a, Refusal)]
    assert delays[0] == 0.0
    assert 0.0 < delays[-1] <= 8.0, "a slow-down"
