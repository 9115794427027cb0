"""The three services in-process for one test: on SQLite with the in-process bus (the embedded mode), or on
PostgreSQL with real Kafka (each service its own database, as in production) — the ``catalogue_url`` parameter."""

import asyncio
import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gateway.accounts import services as accounts
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tokens import TokenSigner
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from moderation.app import create_app as create_moderation
from moderation.settings import ModerationSettings
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.sealing import generate_key_pair
from tests.catalogue_data import create_pg_database
from tests.conftest import Stack, drop_databases, run_blocking

TEMPORARY = "Tmp4Pass"
CHOSEN = "le canal de l'Escaut en mai"
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken refreshToken } userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken refreshToken } userErrors { code } } }"""
LOGOUT = "mutation { logout { ok } }"
DEACTIVATE = """mutation($n: String!, $r: String!) { deactivateCafAgent(input: {agentNumber: $n, reason: $r}) {
  agentNumber userErrors { field code message } } }"""
READS = {"moderation": "{ reviewQueue { totalCount } }", "notifier": "{ deliveries { totalCount } }"}


@dataclass(frozen=True)
class Agent:
    account_id: str
    agent_number: str
    identifier: str
    token: str


@dataclass
class Services:
    clients: dict[str, httpx.AsyncClient]
    gateway: Any
    issuing: PasswordIssuing
    apps: dict[str, Any]

    async def gql(self, service: str, document: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        answer = await self.clients[service].post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = answer.json()
        return body

    async def caf_agent(self, first_name: str, *, caf: str = "CAF59", administrator: bool = False) -> Agent:
        """A new Caf agent, signed in with its chosen password."""
        email = f"{first_name.lower()}.{uuid.uuid4().hex[:6]}@{caf.lower()}.example"
        person = NewPerson("Mathon", first_name, "Agent de la Caf", email)
        async with self.gateway.state.runtime.sessions() as session, session.begin():
            made = await accounts.bootstrap_caf_agent(
                session, person, caf_code=caf, issuing=self.issuing, now=datetime.now(UTC), administrator=administrator
            )
        return Agent(made.id, made.agent_number, made.identifier, await self.sign_in(made.identifier))

    async def sign_in(self, identifier: str) -> str:
        """Log in with the generated password, change it for ``CHOSEN``: the access token of that session."""
        login = await self.gql("gateway", LOGIN, i=identifier, p=TEMPORARY)
        temporary = login["data"]["login"]["session"]["accessToken"]
        changed = await self.gql("gateway", CHANGE, temporary, c=TEMPORARY, n=CHOSEN)
        token: str = changed["data"]["changePassword"]["session"]["accessToken"]
        return token

    async def refused_everywhere(self, token: str) -> None:
        """Wait (boundedly) until both services refuse ``token``: the event travels through the bus first."""
        async with asyncio.timeout(30):
            for service, document in READS.items():
                while not _refused(await self.gql(service, document, token)):
                    await asyncio.sleep(0.05)

    async def accepted_everywhere(self, token: str) -> None:
        for service, document in READS.items():
            answer = await self.gql(service, document, token)
            assert "errors" not in answer, f"{service}: {answer}"


def _refused(answer: dict[str, Any]) -> bool:
    codes = {error.get("extensions", {}).get("code") for error in answer.get("errors", [])}
    return answer.get("data") is None and bool(codes & {"FORBIDDEN", "UNAUTHENTICATED"})


@pytest.fixture
def backend(request: pytest.FixtureRequest, catalogue_url: str, tmp_path: Path) -> Iterator[tuple[dict[str, str], Any]]:
    """The databases and bus settings: SQLite with the in-process bus, or PostgreSQL with Kafka (``catalogue_url``)."""
    if catalogue_url.startswith("sqlite"):
        urls = {s: f"sqlite+aiosqlite:///{tmp_path / f'{s}.sqlite3'}" for s in READS}
        yield urls | {"gateway": catalogue_url}, {"bus": "inprocess"}
        return
    stack: Stack = request.getfixturevalue("stack")
    templates: dict[str, str] = request.getfixturevalue("pg_templates")
    names = {s: f"t_{s}_{uuid.uuid4().hex[:10]}" for s in READS}
    for service, name in names.items():
        run_blocking(create_pg_database(stack.admin_dsn, name, templates[service]))
    namespace = request.getfixturevalue("kafka_namespace")
    transport = {"bus": "kafka", "kafka_bootstrap_servers": stack.kafka, "kafka_topic_namespace": namespace}
    yield {s: stack.database_url(n) for s, n in names.items()} | {"gateway": catalogue_url}, transport
    run_blocking(drop_databases(stack, list(names.values())))


@pytest.fixture
async def services(
    backend: tuple[dict[str, str], dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """The three services in-process, the gateway's consumers and relays running."""
    urls, transport = backend
    seed = os.urandom(32)
    token_key = TokenSigner(seed).jwks()["keys"][0]["x"]
    private, public = generate_key_pair()
    bus = InProcessBus() if transport["bus"] == "inprocess" else None
    apps = {
        "moderation": create_moderation(
            ModerationSettings(database_url=urls["moderation"], token_public_key=token_key, **transport), bus=bus
        ),
        "notifier": create_notifier(
            NotifierSettings(
                database_url=urls["notifier"],
                token_public_key=token_key,
                email_transport="folder",
                mail_dir=tmp_path / "mail",
                sealing_private_key=SecretStr(private),
                **transport,
            ),
            bus=bus,
        ),
        "gateway": create_gateway(
            GatewaySettings(
                database_url=urls["gateway"],
                notifier_public_key=public,
                login_delay_base_seconds=0.0,
                token_signing_key=SecretStr(base64.b64encode(seed).decode()),
                password_hashing_workers=2,
                **transport,
            ),
            bus=bus,
        ),
    }
    monkeypatch.setattr(accounts, "generate_password", lambda: TEMPORARY)
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for service, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            asgi = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
            clients[service] = await stack.enter_async_context(
                httpx.AsyncClient(transport=asgi, base_url=f"http://{service}")
            )
        gateway = apps["gateway"]
        yield Services(clients, gateway, PasswordIssuing(gateway.state.authenticator.hashing, public), apps)
