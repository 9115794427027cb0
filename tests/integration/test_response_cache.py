"""The response cache in one gateway process (in-process bus, SQLite and PostgreSQL): answers from memory, and once
the process has read a publication, no request gets the answer it replaced."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from gateway.catalogue.calendar import closed_on
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL, MULTI_ACCUEIL_INFO
from gateway.catalogue.publishing import publish_availabilities
from gateway.catalogue.vocabulary import Channel, Slot
from gateway.catalogue.writes import NewAvailability
from gateway.graphql.relay import to_global_id
from gateway.publications.feed import Publication
from tests.gateway_app import gateway_at

ESCAUTPONT, VALENCIENNES = "59207", "59606"
NODE = """query($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on Establishment {
  availabilities(from: $from, to: $to) { date slot places } availabilityStatus { state freePlaces } } } }"""
BY_COMMUNE = """query($c: String!) { establishments(filter: {communeInsee: $c}, first: 50) {
  totalCount edges { node { name availabilityStatus { freePlaces nextDate } } } } }"""
NEAR_AND_FREE = """query($p: GeoPointInput!, $from: Date!, $to: Date!) {
  establishments(near: {points: [$p], radiusKm: 8}, filter: {freePlaces: {from: $from, to: $to}}, first: 50) {
  totalCount edges { node { name distanceKm } } } }"""
"""Selects no ID: the operation's own tags must reach it."""
WITHOUT_AVAILABILITIES = """query($c: String!) { establishments(filter: {communeInsee: $c}, first: 50) {
  totalCount edges { node { id name capacity operatingInfo { openingHours } } } } }"""
NEAREST = """query($p: GeoPointInput!) { establishments(near: {points: [$p], radiusKm: 5}, filter: {categories: [EAJE]},
  first: 1) { edges { node { id name availabilityStatus { state freePlaces } } } } }"""
"""A full page (one EAJE, the nearest): an EAJE farther away, gaining or losing free places, still ranks after it."""
LOCATION = """query($id: ID!) { node(id: $id) { ... on Establishment { location { latitude longitude } } } }"""
BY_DEPARTEMENT = """{ establishments(filter: {departement: "59", categories: [EAJE]}, first: 100) {
  totalCount edges { node { name availabilityStatus { state freePlaces } } } } }"""


def open_days(count: int) -> list[date]:
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=4)
    days: list[date] = []
    while len(days) < count:
        if closed_on(MULTI_ACCUEIL_INFO, day, "59") is None:
            days.append(day)
        day += timedelta(days=1)
    return days


class Reader:
    """Requests of one process and the publications it has read."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.app: Any = client.app  # type: ignore[attr-defined]
        self.read_publications: list[Publication] = []
        self.app.state.feed.on_read(self.read_publications.extend)
        first, last = open_days(2)
        window = {"from": first.isoformat(), "to": last.isoformat()}
        escautpont = {"latitude": 50.4186, "longitude": 3.5543}
        self.days = (first, last)
        self.queries: dict[str, tuple[str, dict[str, Any]]] = {
            "node": (NODE, {"id": to_global_id("Establishment", MULTI_ACCUEIL), **window}),
            "commune": (BY_COMMUNE, {"c": ESCAUTPONT}),
            "near": (NEAR_AND_FREE, {"p": escautpont, **window}),
            "departement": (BY_DEPARTEMENT, {}),
        }

    async def ask(self, name: str, *, get: bool = False, uncached: bool = False) -> httpx.Response:
        query, variables = self.queries[name]
        headers = {"authorization": "Bearer not-a-token"} if uncached else {}  # credentials: never cached
        if get:
            params = {"query": query, "variables": json.dumps(variables)}
            return await self.client.get("/graphql", params=params, headers=headers)
        return await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    async def publish(self, places: int) -> None:
        """Availabilities of the multi-accueil, the way an agent publishes them (outbox → bus → feed)."""
        runtime = self.app.state.runtime
        batch = [NewAvailability(day, Slot.JOURNEE, places) for day in self.days]
        async with runtime.sessions() as session, session.begin():
            errors = await publish_availabilities(
                session, MULTI_ACCUEIL, batch, agent_number="59-ESC-0001", channel=Channel.SAISIE_ESPACE_PRO,
                today=datetime.now(ZoneInfo("Europe/Paris")).date(), now=datetime.now(UTC), signal=runtime.signal,
            )  # fmt: skip
        assert errors == []

    async def until_read(self, count: int) -> None:
        """Wait (no deadline but the test's) until the process has read ``count`` publications."""
        while len(self.read_publications) < count:
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def reader_on(catalogue_url: str, **settings: Any) -> AsyncIterator[Reader]:
    async with gateway_at(catalogue_url, **settings) as client:
        yield Reader(client)


async def test_public_answers_come_from_memory_until_a_publication_touches_them(catalogue_url: str) -> None:
    async with reader_on(catalogue_url) as reader:
        first = {name: await reader.ask(name) for name in reader.queries}
        again = {name: await reader.ask(name, get=True) for name in reader.queries}
        assert {name: r.headers["x-cache"] for name, r in first.items()} == dict.fromkeys(reader.queries, "miss")
        assert {name: r.headers["x-cache"] for name, r in again.items()} == dict.fromkeys(reader.queries, "hit")
        assert all(again[name].content == first[name].content for name in reader.queries)
        assert all("errors" not in r.json() for r in first.values())

        await reader.publish(places=0)
        await reader.until_read(1)
        after = {name: await reader.ask(name) for name in reader.queries}
        truth = {name: await reader.ask(name, uncached=True) for name in reader.queries}

        assert "x-cache" not in truth["node"].headers
        for name in reader.queries:
            assert after[name].content == truth[name].content, name
            assert after[name].content != first[name].content, f"{name}: the publication changes this answer"


async def test_a_publication_elsewhere_leaves_other_answers_in_memory(catalogue_url: str) -> None:
    """Elsewhere: another commune; an answer of its commune that reads no availabilities; the full page of the
    nearest EAJE around its neighbour (the multi-accueil, ~600 m away, is in the circle and in its cells)."""
    async with reader_on(catalogue_url) as reader:
        where = (await reader.client.post("/graphql", json={"query": LOCATION, "variables": {
            "id": to_global_id("Establishment", MICRO_CRECHE)}})).json()["data"]["node"]["location"]  # fmt: skip
        reader.queries["valenciennes"] = (BY_COMMUNE, {"c": VALENCIENNES})
        reader.queries["same commune"] = (WITHOUT_AVAILABILITIES, {"c": ESCAUTPONT})
        reader.queries["nearest"] = (NEAREST, {"p": where})
        first = {name: await reader.ask(name) for name in ("valenciennes", "same commune", "nearest")}

        await reader.publish(places=2)
        await reader.until_read(1)
        for name, before in first.items():
            kept = await reader.ask(name)

            assert kept.headers["x-cache"] == "hit", name
            assert kept.content == before.content == (await reader.ask(name, uncached=True)).content, name
        assert "Jardin de l'Escaut" in first["nearest"].text
        assert "P'tits Mineurs" in first["same commune"].text


async def test_once_the_process_has_read_a_publication_no_request_gets_the_old_answer(catalogue_url: str) -> None:
    """Readers keep asking while publications are made; every answer to a request sent after the process read
    the last publication is the truth computed after it — through hits, misses, refused stores and refreshes."""
    async with reader_on(catalogue_url) as reader:
        names = list(reader.queries)
        answers: list[tuple[int, str, bytes]] = []
        stop = asyncio.Event()

        async def ask_forever(name: str) -> None:
            while not stop.is_set():
                seen = len(reader.read_publications)
                answers.append((seen, name, (await reader.ask(name)).content))
                await asyncio.sleep(0)  # a hit never waits on I/O: let the relay and the feed run

        askers = [asyncio.create_task(ask_forever(name)) for name in names for _ in range(2)]
        truths: dict[tuple[int, str], bytes] = {}
        for round_, places in enumerate((4, 0, 6), start=1):
            await asyncio.sleep(0.05)
            await reader.publish(places)
            await reader.until_read(round_)
            for name in names:
                truths[(round_, name)] = (await reader.ask(name, uncached=True)).content
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*askers)

        checked = [(seen, name, body) for seen, name, body in answers if seen >= 1]
        assert len({name for _, name, _ in checked}) == len(names)
        for seen, name, body in checked:
            assert body == truths[(seen, name)], f"{name} after publication {seen}: an old answer"
        caching = reader.app.state.response_caching
        assert caching.cache.counts.hits > 0


async def test_hot_answers_are_computed_again_ahead_of_the_next_request(catalogue_url: str) -> None:
    async with reader_on(catalogue_url) as reader:
        await reader.ask("near")
        before = await reader.ask("near")  # asked since stored: hot

        await reader.publish(places=0)
        await reader.until_read(1)
        await reader.app.state.response_caching.refresher.idle()
        refreshed = await reader.ask("near")

        assert "P'tits Mineurs" in before.text
        assert refreshed.headers["x-cache"] == "hit"
        assert "P'tits Mineurs" not in refreshed.text, "no free place left: out of the list"
        assert refreshed.content == (await reader.ask("near", uncached=True)).content


async def test_what_the_cache_does_not_answer(catalogue_url: str) -> None:
    async with reader_on(catalogue_url) as reader:
        errors = [await reader.client.post("/graphql", json={"query": "{ cafs(first: 0) { code } }"}) for _ in "ab"]
        private = [await reader.client.post("/graphql", json={"query": "{ me { identifier } }"}) for _ in "ab"]
        provider = "query($id: ID!) { node(id: $id) { id } }"
        provider_id = {"id": to_global_id("Provider", MAIRIE_ESCAUTPONT)}
        providers = [
            await reader.client.post("/graphql", json={"query": provider, "variables": provider_id}) for _ in "ab"
        ]
        odd_id = await reader.client.post("/graphql", json={"documentId": ["sha256:0"]})
        keyed = await reader.client.post(
            "/graphql", json={"query": "{ cafs { code } }"}, headers={"x-api-key": "k-" + uuid.uuid4().hex}
        )
        metrics = (await reader.client.get("/metrics")).text

        assert [r.headers["x-cache"] for r in errors] == ["miss", "miss"]
        assert all("x-cache" not in r.headers for r in private)
        assert all("x-cache" not in r.headers for r in providers), "providers are not followed by publications"
        assert "x-cache" not in keyed.headers
        assert odd_id.status_code == 400
        assert "x-cache" not in odd_id.headers
        assert 'structures_response_cache_lookups_total{outcome="miss"} 4.0' in metrics
        assert "structures_response_cache_bytes" in metrics
        assert "structures_response_cache_hit_ratio" in metrics


async def test_a_size_of_zero_turns_the_cache_off(catalogue_url: str) -> None:
    async with reader_on(catalogue_url, response_cache_mb=0) as reader:
        answers = [await reader.ask("commune") for _ in "ab"]

        assert all("x-cache" not in r.headers for r in answers)
        assert reader.app.state.response_caching is None


async def test_an_answer_with_availability_statuses_expires_when_one_turns_perimee(catalogue_url: str) -> None:
    """On both read paths (normal on SQLite, compiled on PostgreSQL): the entry lives until the first status of the
    answer turns « périmée » by the clock, a week after its availabilities' update."""
    async with reader_on(catalogue_url) as reader:
        published_at = datetime.now(UTC)
        await reader.publish(places=2)
        await reader.until_read(1)
        assert (await reader.ask("node")).headers["x-cache"] == "miss"
        cache = reader.app.state.response_caching.cache
        [entry] = [entry for entry in cache._entries.values() if b"freePlaces" in entry.answer()]
        turns = (published_at + timedelta(days=7)).timestamp()
        assert entry.expires is not None, "the clock changes this answer: it must expire"
        assert turns - 60 <= entry.expires <= turns + 60  # the publication's instant, give or take the test's run
