"""P2's background stream: availability publications through the gateway's real API, and the cache's counters.

Agents: one « personne habilitée » per crèche (in the national dataset every EAJE has its own provider), each
holding AVAILABILITY on one EAJE drawn in proportion to its commune's population — so the publications touch the
places the mix asks about most. They are created in the bench database (``bench.p2…`` identifiers; each run adds
its own, which is harmless in a bench database) with a known first password, then sign in through the gateway's
``login`` and ``changePassword`` like a person would. The stream is open loop: every 1/rate s one agent, in turn,
publishes one availability (1–3 places, whole day) on an open day 3–13 days ahead — inside Q1's 14-day window.
"""

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from catalogue_bench.params import today
from gateway.accounts import services
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights
from gateway.catalogue.calendar import closed_on
from gateway.catalogue.publishing import NOTICE_DAYS, published_document
from gateway.graphql.relay import to_global_id
from shared.db import create_engine, create_session_factory

TEMPORARY = "Tmp4Pass"
CHOSEN = "un banc d'essai pour le cache des réponses"
WINDOW_DAYS = 14
PUBLISH = """mutation($id: ID!, $a: [AvailabilityInput!]!) { publishAvailabilities(input: {establishmentId: $id,
  availabilities: $a}) { userErrors { code } } }"""
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken mustChangePassword } userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken } userErrors { code } } }"""
HIT = 'structures_response_cache_lookups_total{outcome="hit"}'
MISS = 'structures_response_cache_lookups_total{outcome="miss"}'
INVALIDATION = 'structures_response_cache_removals_total{reason="invalidation"}'
EVICTION = 'structures_response_cache_removals_total{reason="eviction"}'


@dataclass(frozen=True)
class Agent:
    identifier: str
    establishment_id: str
    open_days: list[date]


def _temporary() -> str:
    return TEMPORARY


async def create_agents(sqlalchemy_url: str, dsn: str, public_key: str, count: int, seed: int) -> list[Agent]:
    """``count`` agents, each with AVAILABILITY on one EAJE drawn by commune population (distinct EAJE)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT e.id, e.provider_id, e.departement, c.name AS commune, c.population FROM establishments e "
            "JOIN communes c ON c.insee = e.commune_insee WHERE e.category = 'EAJE' AND c.population > 0 ORDER BY e.id"
        )
    finally:
        await connection.close()
    rng = random.Random(seed)
    chosen: dict[str, Any] = {}
    while len(chosen) < min(count, len(rows)):
        row = rng.choices(rows, [r["population"] for r in rows])[0]
        chosen[str(row["id"])] = row
    engine = create_engine(sqlalchemy_url)
    hashing = PasswordHashing()
    generate = vars(services)["generate_password"]
    vars(services)["generate_password"] = _temporary  # the bench's agents get a known first password
    agents = []
    try:
        async with create_session_factory(engine)() as session, session.begin():
            issuing, now = PasswordIssuing(hashing, public_key), datetime.now(UTC)
            for n, (key, row) in enumerate(chosen.items()):
                person = NewPerson("P2", f"Banc{n}", "Directrice", f"banc.p2.{n}@bench.example")
                created = await services.create_provider_agent(
                    session, person, provider_id=str(row["provider_id"]), commune_name=f"bench {row['commune']}",
                    departement=row["departement"], issuing=issuing, now=now,
                )  # fmt: skip
                await session.execute(
                    account_rights.insert(),
                    [{"account_id": created.id, "establishment_id": key, "right": "AVAILABILITY"}],
                )
                document = await published_document(session, key)
                start = today() + timedelta(days=NOTICE_DAYS)
                days = [start + timedelta(days=d) for d in range(WINDOW_DAYS - NOTICE_DAYS)]
                usable = [d for d in days if document is None or closed_on(document, d, row["departement"]) is None]
                agents.append(Agent(created.identifier, key, usable))
    finally:
        vars(services)["generate_password"] = generate
        hashing.close()
        await engine.dispose()
    return [agent for agent in agents if agent.open_days]


async def sign_in(url: str, agents: list[Agent]) -> list[tuple[Agent, str]]:
    """Each agent's first login through the API (generated password, then a chosen one): its access token."""
    signed = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for agent in agents:
            first = (await _call(client, LOGIN, None, i=agent.identifier, p=TEMPORARY))["login"]["session"]
            changed = (await _call(client, CHANGE, first["accessToken"], c=TEMPORARY, n=CHOSEN))["changePassword"]
            if changed["userErrors"]:
                raise RuntimeError(f"changePassword for {agent.identifier}: {changed['userErrors']}")
            signed.append((agent, str(changed["session"]["accessToken"])))
    return signed


async def _call(client: httpx.AsyncClient, query: str, token: str | None, **variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()
    if answer.get("errors"):
        raise RuntimeError(f"{query.split('(')[0]}: {answer['errors']}")
    return answer["data"]


@dataclass
class Stream:
    """Open-loop publications at ``rate`` per second in a thread of its own (the bench's main thread runs wrk)."""

    url: str
    signed: list[tuple[Agent, str]]
    rate: float
    seed: int
    published: int = 0
    refused: int = 0
    failed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    started_at: float = 0.0
    stopped_at: float = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="p2-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    async def _run(self) -> None:
        rng = random.Random(self.seed)
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            self.started_at = time.monotonic()
            n = 0
            while not self._stop.is_set():
                await asyncio.sleep(max(0.0, self.started_at + n / self.rate - time.monotonic()))
                agent, token = self.signed[n % len(self.signed)]
                day = rng.choice(agent.open_days)
                entry = {"date": day.isoformat(), "slot": "JOURNEE", "places": rng.randint(1, 3)}
                task = asyncio.create_task(self._one(client, token, agent, entry))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.gather(*tasks)
            self.stopped_at = time.monotonic()

    async def _one(self, client: httpx.AsyncClient, token: str, agent: Agent, entry: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            data = await _call(
                client, PUBLISH, token, id=to_global_id("Establishment", agent.establishment_id), a=[entry]
            )
        except (httpx.HTTPError, RuntimeError, ValueError) as error:
            self.failed += 1
            self.errors.append(str(error)[:200])
            return
        self.latencies_ms.append((time.monotonic() - started) * 1000)
        if data["publishAvailabilities"]["userErrors"]:
            self.refused += 1
            self.errors.append(str(data["publishAvailabilities"]["userErrors"])[:200])
        else:
            self.published += 1

    def as_dict(self) -> dict[str, Any]:
        seconds = (self.stopped_at or time.monotonic()) - self.started_at
        ordered = sorted(self.latencies_ms)
        return {
            "rate_wanted": self.rate,
            "agents": len(self.signed),
            "seconds": round(seconds, 1),
            "published": self.published,
            "rate_achieved": round(self.published / seconds, 2) if seconds > 0 else 0.0,
            "refused": self.refused,
            "failed": self.failed,
            "p50_ms": round(ordered[len(ordered) // 2], 1) if ordered else None,
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1) if ordered else None,
            "errors": self.errors[:10],
        }


def cache_counters(metrics_url: str) -> dict[str, float]:
    """The response cache's counters from the gateway's ``/metrics`` (Prometheus text)."""
    wanted = {HIT: "hits", MISS: "misses", INVALIDATION: "invalidations", EVICTION: "evictions"}
    found = dict.fromkeys(wanted.values(), 0.0)
    for line in httpx.get(metrics_url, timeout=10).text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in wanted:
            found[wanted[name]] = float(value)
    return found


def cache_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    delta = {key: int(after[key] - before[key]) for key in before}
    lookups = delta["hits"] + delta["misses"]
    return {**delta, "hit_rate": round(delta["hits"] / lookups, 4) if lookups else None}


@dataclass
class PossibleHits:
    """The hit rate a cache could reach on what the gateway was sent: one without a memory bound that no
    publication touched, so a body hits when the gateway had it before. The measured hit rate is to be read
    against it: a mix drawn by population repeats itself slowly, and a run of a few hundred requests repeats little.

    wrk's ``bodies.lua`` gives thread ``t`` the bodies from ``t × 7919 + offset`` on, in turn; the requests of a run
    are taken as shared evenly by its threads. Bodies count as one when identical: the cache's canonical key
    (variables in any order, equal numbers written differently) may merge a few more, so a short run can measure a
    little above it."""

    bodies: list[str]
    seen: set[str] = field(default_factory=set)

    def sent(self, offset: int, requests: int, threads: int = 1) -> float | None:
        """Count ``requests`` taken from ``offset``; the rate of those the gateway had had before."""
        hits = 0
        for thread in range(threads):
            start = thread * 7919 + offset
            for n in range(requests // threads):
                body = self.bodies[(start + n) % len(self.bodies)]
                hits += body in self.seen
                self.seen.add(body)
        return round(hits / requests, 4) if requests else None
