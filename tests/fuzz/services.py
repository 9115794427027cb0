"""The gateway and the moderation service in-process, sharing one in-process bus, with a signed-in caller of each
role: what the fuzz driver sends its cases to.

The gateway runs on a copy of the test catalogue, the moderation service on its own database: SQLite files by default
(:func:`sqlite_databases`), or PostgreSQL databases the caller prepared. Agents get
their generated password the real way (sealed in the ``PasswordIssued`` event, opened with the notifier's key),
change it, and use the access token; the moderation service verifies the same tokens with the gateway's key. The
integrator's API key is created by the Caf agent through the API. Before fuzzing, the provider agent publishes
availabilities and submits operating info, so the publication feed and the review queue hold something.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from schemathesis.specs.graphql.schemas import GraphQLSchema
from starlette.applications import Starlette

from gateway.accounts import services as accounts
from gateway.accounts.services import NewPerson
from gateway.accounts.tables import account_rights
from gateway.app import create_app as create_gateway
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.settings import GatewaySettings
from moderation.app import create_app as create_moderation
from moderation.settings import ModerationSettings
from shared.bus import InProcessBus
from shared.events import PasswordIssued, Topic, WireMessage, from_wire
from shared.sealing import generate_key_pair, open_sealed
from tests.catalogue_data import copy_sqlite
from tests.fuzz.generation import load_schema
from tests.integration.test_availability_publication import PUBLISH, open_days
from tests.integration.test_operating_info_submission import INFO, SUBMIT

FUZZ_GATEWAY_SETTINGS: dict[str, Any] = {
    # Throttles would make later examples meaningless (every login refused after 20 failures, every key
    # rate-limited after its burst): the fuzz run lifts them. S11 and the API-key tests check them as configured.
    "login_failures_per_pair": 10**9,
    "login_failures_per_address": 10**9,
    "login_delay_base_seconds": 0.0,
    "integrator_requests_per_second": 1e9,
    "integrator_burst": 10**9,
    # The long run outlasts the default 10 minutes of an access token.
    "access_token_minutes": 240,
}
CHOSEN = "les P'tits Mineurs au printemps"
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken } userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken } userErrors { code } } }"""
CREATE_INTEGRATOR = """mutation { createIntegrator(input: {name: "Portail du Hainaut", contactEmail:
  "api@hainaut.example", departements: ["59"]}) { integratorId apiKey userErrors { code } } }"""
NEW_KEY = "mutation($id: ID!) { createApiKey(integratorId: $id) { apiKey userErrors { code } } }"
ME = "{ me { kind } }"
EVENTS = "{ events(first: 1) { edges { cursor } } }"
QUEUE = "{ reviewQueue { totalCount } }"


@dataclass
class Caller:
    """Someone calling the services: the headers that say who they are, kept valid by :meth:`ensure`."""

    role: str
    headers: dict[str, str] = field(default_factory=dict)
    probe: str | None = None
    """A gateway query that answers without error while the credential is valid."""
    renew: Callable[[], Awaitable[None]] | None = None
    """Sign in again or take a new key, when a fuzzed ``logout`` or ``revokeApiKey`` ended the credential."""

    async def ensure(self, gateway: httpx.AsyncClient) -> None:
        if self.probe is None or self.renew is None:
            return
        answer = await gql(gateway, self.probe, self.headers)
        if answer.get("errors") or not answer.get("data"):
            await self.renew()


@dataclass(frozen=True)
class Target:
    """One GraphQL service: its in-process client, its schema as schemathesis loaded it, who calls it."""

    service: str
    client: httpx.AsyncClient
    schema: GraphQLSchema
    callers: Sequence[Caller]
    subscriptions: Sequence[str]


@dataclass(frozen=True)
class Databases:
    gateway: str
    """URL of a migrated gateway database holding the test catalogue (``tests/catalogue_data.py``)."""
    moderation: str
    """URL of the moderation service's database (migrated at start)."""


def sqlite_databases(catalogue: Path, folder: Path) -> Databases:
    """A copy of the prepared SQLite ``catalogue`` and a new moderation file, in ``folder``."""
    moderation = folder / f"moderation-{uuid.uuid4().hex[:8]}.sqlite3"
    return Databases(copy_sqlite(catalogue, folder), f"sqlite+aiosqlite:///{moderation}")


@dataclass(frozen=True)
class Services:
    gateway: Target
    moderation: Target
    bus: InProcessBus

    @property
    def targets(self) -> tuple[Target, Target]:
        return self.gateway, self.moderation


async def gql(client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = answer.json()
    return body


class Mailbox:
    """The notifier's side of ``PasswordIssued``: opens each sealed generated password with the private key."""

    def __init__(self, bus: InProcessBus, private_key: str) -> None:
        self._private_key = private_key
        self._passwords: dict[str, str] = {}
        bus.listen(Topic.ACCOUNTS, self._read)

    def _read(self, messages: Sequence[WireMessage]) -> None:
        for message in messages:
            data = from_wire(message.value, message.headers).data
            if isinstance(data, PasswordIssued):
                self._passwords[data.identifier] = open_sealed(data.sealed_password, self._private_key)

    async def password(self, identifier: str) -> str:
        async with asyncio.timeout(10):
            while identifier not in self._passwords:
                await asyncio.sleep(0.02)
        return self._passwords.pop(identifier)


async def _access_token(client: httpx.AsyncClient, identifier: str, password: str) -> str:
    login = (await gql(client, LOGIN, {}, i=identifier, p=password))["data"]["login"]
    if login["session"] is None:
        raise RuntimeError(f"{identifier} cannot sign in: {login['userErrors']}")
    return str(login["session"]["accessToken"])


async def _agent(client: httpx.AsyncClient, mailbox: Mailbox, role: str, identifier: str) -> Caller:
    """Signs in with the e-mailed password, chooses a new one, and can sign in again with it."""
    temporary = await mailbox.password(identifier)
    first = await _access_token(client, identifier, temporary)
    changed = await gql(client, CHANGE, {"authorization": f"Bearer {first}"}, c=temporary, n=CHOSEN)
    token = changed["data"]["changePassword"]["session"]["accessToken"]
    caller = Caller(role, {"authorization": f"Bearer {token}"}, ME)

    async def sign_in_again() -> None:
        caller.headers = {"authorization": f"Bearer {await _access_token(client, identifier, CHOSEN)}"}

    caller.renew = sign_in_again
    return caller


async def _integrator(client: httpx.AsyncClient, caf: Caller) -> Caller:
    """An integrator of the Nord, created by the Caf agent; a revoked key is replaced by a new one."""
    created = (await gql(client, CREATE_INTEGRATOR, caf.headers))["data"]["createIntegrator"]
    caller = Caller("integrator", {"x-api-key": created["apiKey"]}, EVENTS)

    async def new_key() -> None:
        await caf.ensure(client)
        key = (await gql(client, NEW_KEY, caf.headers, id=created["integratorId"]))["data"]["createApiKey"]
        caller.headers = {"x-api-key": key["apiKey"]}

    caller.renew = new_key
    return caller


async def _create_people(gateway: Starlette) -> tuple[str, str]:
    """Marie Dupont, agent of the Mairie d'Escautpont with both rights on two crèches (those on the micro-crèche,
    which another provider runs, open nothing: a fuzzed refusal), and a Caf du Nord agent."""
    runtime = gateway.state.runtime
    now = datetime.now(UTC)
    async with runtime.sessions() as session, session.begin():
        marie = await accounts.create_provider_agent(
            session, NewPerson("Dupont", "Marie", "Directrice", "m.dupont@escautpont.example"),
            provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59",
            issuing=gateway.state.issuing, now=now, signal=runtime.signal,
        )  # fmt: skip
        rights = [
            (crèche, right) for crèche in (MULTI_ACCUEIL, MICRO_CRECHE) for right in ("AVAILABILITY", "OPERATING_INFO")
        ]
        await session.execute(
            account_rights.insert(),
            [{"account_id": marie.id, "establishment_id": crèche, "right": right} for crèche, right in rights],
        )
        caf = await accounts.bootstrap_caf_agent(
            session, NewPerson("Mathon", "Audrey", "Caf", "a.mathon@caf59.example"), caf_code="CAF59",
            issuing=gateway.state.issuing, now=now, signal=runtime.signal,
        )  # fmt: skip
    return marie.identifier, caf.identifier


async def _fill(gateway: httpx.AsyncClient, moderation: httpx.AsyncClient, agent: Caller, caf: Caller) -> None:
    """Availabilities published (the feed has an event) and operating info submitted (the queue has an item)."""
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    places = [{"date": day.isoformat(), "slot": "JOURNEE", "places": 2} for day in open_days(2)]
    published = await gql(gateway, PUBLISH, agent.headers, id=crèche, a=places)
    submitted = await gql(gateway, SUBMIT, agent.headers, id=crèche, info=INFO, key="fuzz-seed")
    if published["data"]["publishAvailabilities"]["userErrors"] or not submitted["data"]["submitOperatingInfo"]:
        raise RuntimeError(f"the seed data was refused: {published}, {submitted}")
    async with asyncio.timeout(10):
        while not (await gql(moderation, QUEUE, caf.headers))["data"]["reviewQueue"]["totalCount"]:
            await asyncio.sleep(0.05)


def subscriptions(schema: GraphQLSchema) -> list[str]:
    root = schema.client_schema.subscription_type
    return [f"{root.name}.{name}" for name in root.fields] if root is not None else []


@contextlib.asynccontextmanager
async def _running(app: Starlette, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60) as client:
            yield client


@contextlib.asynccontextmanager
async def serve(databases: Databases, **gateway_settings: Any) -> AsyncIterator[Services]:
    """Both services running, their callers signed in; ``gateway_settings`` override :data:`FUZZ_GATEWAY_SETTINGS`."""
    private, public = generate_key_pair()
    bus = InProcessBus()
    mailbox = Mailbox(bus, private)
    settings = GatewaySettings(
        database_url=databases.gateway, bus="inprocess", notifier_public_key=public,
        **(FUZZ_GATEWAY_SETTINGS | gateway_settings),
    )  # fmt: skip
    gateway_app = create_gateway(settings, bus=bus)
    moderation_app = create_moderation(
        ModerationSettings(
            database_url=databases.moderation,
            bus="inprocess",
            token_public_key=gateway_app.state.authenticator.signer.jwks()["keys"][0]["x"],
        ),
        bus=bus,
    )
    # The moderation service subscribes when it starts: before the gateway, so no submission finds nobody.
    async with (
        _running(moderation_app, "http://moderation") as moderation,
        _running(gateway_app, "http://gateway") as gateway,
    ):
        marie, audrey = await _create_people(gateway_app)
        agent = await _agent(gateway, mailbox, "provider agent", marie)
        caf = await _agent(gateway, mailbox, "Caf agent", audrey)
        integrator = await _integrator(gateway, caf)
        await _fill(gateway, moderation, agent, caf)
        gateway_schema, moderation_schema = await load_schema(gateway), await load_schema(moderation)
        yield Services(
            Target("gateway", gateway, gateway_schema, [Caller("anonymous"), integrator, agent, caf],
                   subscriptions(gateway_schema)),
            Target("moderation", moderation, moderation_schema, [Caller("anonymous"), agent, caf],
                   subscriptions(moderation_schema)),
            bus,
        )  # fmt: skip
