"""The world the S16 matrix runs in: the three services in-process on one in-process bus (as in the embedded mode),
the gateway also behind uvicorn for WebSockets; the people of every role; the tenants' private markers; and a
fingerprint of the three databases to prove that a denied call changed nothing."""

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts import services as accounts
from gateway.accounts.services import PasswordIssuing
from gateway.accounts.tokens import TokenSigner
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from moderation.app import create_app as create_moderation
from moderation.settings import ModerationSettings
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.sealing import generate_key_pair
from tests.catalogue_data import copy_sqlite
from tests.integration.test_publication_subscriptions import _served

TEMPORARY = "Tmp4Pass"
SERVICES = ("gateway", "moderation", "notifier")
PENDING = {
    "gateway": "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
    "moderation": "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
    "notifier": "SELECT count(*) FROM deliveries WHERE status = 'PENDING'",
}
"""What is still on its way in each service: events not yet relayed, e-mails not yet sent."""
REFERENCE_TABLES = {"alembic_version", "cafs", "departements", "communes", "commune_postal_codes"}
"""Reference data no operation writes: left out of the fingerprint (35,000 communes)."""
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken refreshToken } userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken refreshToken } userErrors { code } } }"""


@dataclass
class Identity:
    """One account (or key, or nobody) playing a role."""

    role: str
    label: str
    sees: frozenset[str] = frozenset()
    """The tenants whose private markers this identity may read."""
    caf: str | None = None
    account_id: str | None = None
    identifier: str | None = None
    agent_number: str | None = None
    password: str | None = None
    token: str | None = None
    refresh: str | None = None
    api_key: str | None = None
    temporary: bool = False
    """Keeps its generated password: after a cell changed it, the world issues a new one."""

    def headers(self) -> dict[str, str]:
        if self.api_key:
            return {"x-api-key": self.api_key}
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def connection_init(self) -> dict[str, str]:
        if self.api_key:
            return {"apiKey": self.api_key}
        return {"authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class World:
    clients: dict[str, httpx.AsyncClient]
    apps: dict[str, Any]
    databases: dict[str, Path]
    ws_url: str
    issuing: PasswordIssuing
    roles: dict[str, list[Identity]] = field(default_factory=dict)
    people: dict[str, Identity] = field(default_factory=dict)
    """Named accounts of the setup (``marie``, ``caf59``…), whatever their role."""
    markers: dict[str, str] = field(default_factory=dict)
    """Private value → the tenant it belongs to (A, B, C, CAF59, CAF62)."""
    targets: dict[str, Any] = field(default_factory=dict)
    """What cells act on, kept between cells and made again when a cell used it up."""
    _readers: dict[str, sqlite3.Connection] = field(default_factory=dict)

    @property
    def gateway_app(self) -> Any:
        return self.apps["gateway"]

    def sessions(self) -> Any:
        return self.gateway_app.state.runtime.sessions()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    def mark(self, tenant: str, *values: str | None) -> None:
        for value in values:
            if value:
                self.markers[str(value)] = tenant

    async def gql(
        self, service: str, document: str, identity: Identity | None = None, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        headers = identity.headers() if identity else {}
        answer = await self.clients[service].post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = answer.json()
        return body

    async def login(self, identifier: str, password: str) -> dict[str, Any]:
        answer = await self.gql("gateway", LOGIN, variables={"i": identifier, "p": password})
        session: dict[str, Any] = answer["data"]["login"]["session"]
        assert session is not None, answer
        return session

    async def sign_in(self, identity: Identity, *, chosen: str | None = None) -> None:
        """Log in with the current password; with ``chosen``, then replace the generated password by it."""
        assert identity.identifier
        assert identity.password
        session = await self.login(identity.identifier, identity.password)
        if chosen is not None:
            identity.token = session["accessToken"]
            changed = await self.gql("gateway", CHANGE, identity, {"c": identity.password, "n": chosen})
            session = changed["data"]["changePassword"]["session"]
            identity.password = chosen
        identity.token, identity.refresh = session["accessToken"], session["refreshToken"]

    async def restore(self, identity: Identity) -> None:
        """Sign ``identity`` in again after a cell logged it out or changed its password; a temporary one gets a
        new generated password first, so it stays temporary."""
        assert identity.identifier
        if identity.temporary:
            async with self.transaction() as session:
                signal, now = self.gateway_app.state.runtime.signal, datetime.now(UTC)
                reset = await accounts.reset_password(
                    session, identity.identifier, issuing=self.issuing, now=now, signal=signal
                )
            assert reset, f"{identity.label} could not be given a new generated password"
            identity.password = TEMPORARY
        await self.sign_in(identity)

    async def settle(self) -> None:
        """Wait until every event is relayed (the in-process bus applies it before it is marked sent) and every
        e-mail sent: then nothing changes any more until the next call."""
        async with asyncio.timeout(10):
            while any(self.rows(service, PENDING[service])[0][0] for service in SERVICES):
                await asyncio.sleep(0.005)

    def fingerprint(self) -> dict[str, str]:
        """A digest per table of the three databases (reference data excepted): equal digests, no effect."""
        digests = {}
        for service in SERVICES:
            tables = self.rows(service, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for (name,) in tables:
                if name not in REFERENCE_TABLES:
                    rows = sorted(repr(row) for row in self.rows(service, f'SELECT * FROM "{name}"'))
                    digests[f"{service}.{name}"] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests

    def rows(self, service: str, query: str, *parameters: object) -> list[tuple[Any, ...]]:
        if service not in self._readers:
            self._readers[service] = sqlite3.connect(
                self.databases[service], isolation_level=None, check_same_thread=False
            )
        return self._readers[service].execute(query, parameters).fetchall()

    def leaks(self, identity: Identity, answer: object, variables: object) -> list[str]:
        """Private markers in ``answer`` of tenants ``identity`` may not read (those it sent itself excepted)."""
        text, sent = json.dumps(answer, ensure_ascii=False), json.dumps(variables, ensure_ascii=False)
        return sorted(
            f"{value} ({tenant})"
            for value, tenant in self.markers.items()
            if tenant not in identity.sees and value in text and value not in sent
        )

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()


Populate = Callable[[World], Awaitable[None]]


def _apps(catalogue: Path, folder: Path, bus: InProcessBus) -> tuple[dict[str, Any], dict[str, Path], str]:
    """The three apps, consumers first (so no event finds nobody listening); their databases; the notifier's
    public key (generated passwords are sealed with it)."""
    seed = base64.b64encode(os.urandom(32)).decode()
    token_key = TokenSigner(base64.b64decode(seed)).jwks()["keys"][0]["x"]
    private, public = generate_key_pair()
    gateway_url = copy_sqlite(catalogue, folder)
    databases = {service: folder / f"{service}-{uuid.uuid4().hex[:6]}.sqlite3" for service in SERVICES}
    databases["gateway"] = Path(gateway_url.removeprefix("sqlite+aiosqlite:///"))
    moderation = ModerationSettings(
        database_url=f"sqlite+aiosqlite:///{databases['moderation']}", bus="inprocess", token_public_key=token_key
    )
    notifier = NotifierSettings(
        database_url=f"sqlite+aiosqlite:///{databases['notifier']}", bus="inprocess", token_public_key=token_key,
        email_transport="folder", mail_dir=folder / "mail", sealing_private_key=SecretStr(private),
    )  # fmt: skip
    gateway = GatewaySettings(
        database_url=gateway_url, bus="inprocess", notifier_public_key=public, token_signing_key=SecretStr(seed),
        password_hashing_workers=2, login_delay_base_seconds=0.0, integrator_requests_per_second=1000,
        integrator_burst=1000, access_token_minutes=60, convention_check_seconds=86400,
        webhook_sealing_key=SecretStr(WEBHOOK_SEALING_KEY[0]), webhook_allow_loopback=True,
    )  # fmt: skip
    apps = {
        "moderation": create_moderation(moderation, bus=bus),
        "notifier": create_notifier(notifier, bus=bus),
        "gateway": create_gateway(gateway, bus=bus),
    }
    return apps, databases, public


WEBHOOK_SEALING_KEY = generate_key_pair()
"""(private, public): integrators' webhook secrets are sealed with the public half."""


@contextlib.asynccontextmanager
async def running_world(catalogue: Path, folder: Path, populate: Populate) -> AsyncIterator[World]:
    """The three services on one in-process bus, as in the embedded mode, then ``populate``."""
    apps, databases, notifier_key = _apps(catalogue, folder, InProcessBus())
    async with contextlib.AsyncExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr(accounts, "generate_password", lambda: TEMPORARY)
        clients = {}
        for service, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            peer = ("203.0.113.7", 4321) if service == "gateway" else ("127.0.0.1", 123)
            transport = httpx.ASGITransport(app=app, client=peer)
            clients[service] = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{service}")
            )
        clients["gateway"].app = apps["gateway"]  # type: ignore[attr-defined]
        url, _app = await stack.enter_async_context(_served(clients["gateway"]))
        issuing = PasswordIssuing(apps["gateway"].state.authenticator.hashing, notifier_key)
        world = World(clients, apps, databases, url, issuing)
        stack.callback(world.close)
        await populate(world)
        await world.settle()
        yield world
