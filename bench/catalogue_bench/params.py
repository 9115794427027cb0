"""Request bodies for Q1–Q3, drawn deterministically from the bench database and written once per peer.

* Q1 « near me »: the position of a random EAJE, moved by up to ~2 km, and the next 14 days (today in
  Europe/Paris, as the gateway's « today »);
* Q2 « by commune »: a commune drawn in proportion to its population;
* Q3 « one establishment »: a random establishment (the gateway gets its global ID, PostGraphile its key);
* MIX (P2, the cache-on benchmark): Q1 and Q2 in turn, Q1 points around an EAJE drawn in proportion to its
  commune's population (moved by up to ~2 km, rounded to 3 decimals, ~100 m: a located family), Q2 communes drawn by
  population.

Line *n* of ``<peer>-<query>.jsonl`` holds the same parameters for every peer, so the same-rows check can pair them.
"""

import base64
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from catalogue_bench.environment import QUERIES, WORK

QUERY_NAMES = ("Q1", "Q2", "Q3")
PEERS = ("gateway", "postgraphile", "postgraphile5")
MIX = "MIX"
TIMEZONE = ZoneInfo("Europe/Paris")
JITTER_DEGREES = 0.018  # about 2 km in latitude
DAYS = 14


@dataclass(frozen=True)
class Sample:
    """One query's parameters, as each peer takes them."""

    query: str
    gateway: dict[str, Any]
    postgraphile: dict[str, Any]

    def variables(self, peer: str) -> dict[str, Any]:
        """The gateway's variables, or the PostGraphile ones (the same for PostGraphile 4 and 5)."""
        return self.gateway if peer == "gateway" else self.postgraphile


def today() -> date:
    return datetime.now(TIMEZONE).date()


async def draw_samples(dsn: str, count: int, seed: int) -> dict[str, list[Sample]]:
    """``count`` parameter sets per query, the same for the same data, seed and day."""
    connection = await asyncpg.connect(dsn)
    try:
        eaje = await connection.fetch(
            "SELECT latitude, longitude FROM establishments WHERE category = 'EAJE' ORDER BY id"
        )
        towns = await connection.fetch("SELECT insee, population FROM communes WHERE population > 0 ORDER BY insee")
        ids = await connection.fetch("SELECT id FROM establishments ORDER BY id")
    finally:
        await connection.close()
    if not eaje or not towns or not ids:
        raise ValueError("the bench database has no EAJE, commune or establishment to draw parameters from")
    rng = random.Random(seed)
    return {
        "Q1": _near_me(rng, [(r["latitude"], r["longitude"]) for r in eaje], count),
        "Q2": _by_commune(rng, [(r["insee"], r["population"]) for r in towns], count),
        "Q3": _one_establishment(rng, [r["id"] for r in ids], count),
    }


def _near_me(rng: random.Random, positions: list[tuple[float, float]], count: int) -> list[Sample]:
    start = today()
    days = {"from": start.isoformat(), "to": (start + timedelta(days=DAYS - 1)).isoformat()}
    samples = []
    for latitude, longitude in rng.choices(positions, k=count):
        point = {
            "lat": round(latitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES), 5),
            "lon": round(longitude + rng.uniform(-1.5 * JITTER_DEGREES, 1.5 * JITTER_DEGREES), 5),
        }
        variables = {**point, **days}
        samples.append(Sample("Q1", variables, variables))
    return samples


def _by_commune(rng: random.Random, towns: list[tuple[str, int]], count: int) -> list[Sample]:
    codes = [code for code, _ in towns]
    chosen = rng.choices(codes, weights=[population for _, population in towns], k=count)
    return [Sample("Q2", {"insee": code}, {"insee": code}) for code in chosen]


def _one_establishment(rng: random.Random, ids: list[str], count: int) -> list[Sample]:
    return [Sample("Q3", {"id": global_id("Establishment", key)}, {"id": key}) for key in rng.choices(ids, k=count)]


def global_id(type_name: str, key: str) -> str:
    """The gateway's opaque ID: base64url of ``Type:key`` without padding (gateway/graphql/relay.py)."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


# PostGraphile 5 serves the same GraphQL schema as 4 (its V4 preset reads the same smart comments): same documents.
DOCUMENTS_OF = {"postgraphile5": "postgraphile"}


def document(peer: str, query: str) -> str:
    return (QUERIES / DOCUMENTS_OF.get(peer, peer) / f"{query.lower()}.graphql").read_text()


def bodies_path(peer: str, query: str, directory: Path = WORK) -> Path:
    return directory / f"{peer}-{query.lower()}.jsonl"


def write_bodies(samples: dict[str, list[Sample]], directory: Path = WORK) -> None:
    """One JSON request body per line, per peer and query."""
    directory.mkdir(parents=True, exist_ok=True)
    for query, chosen in samples.items():
        for peer in PEERS:
            text = document(peer, query)
            lines = [_body(text, s.query, s.variables(peer)) for s in chosen]
            bodies_path(peer, query, directory).write_text("\n".join(lines) + "\n")


def _body(text: str, operation: str, variables: dict[str, Any]) -> str:
    return json.dumps({"query": text, "variables": variables, "operationName": operation}, ensure_ascii=False)


async def draw_mix(dsn: str, count: int, seed: int) -> list[Sample]:
    """P2's realistic mix: ``count`` bodies, Q1 and Q2 in turn, both drawn by population (see the module doc)."""
    connection = await asyncpg.connect(dsn)
    try:
        eaje = await connection.fetch(
            "SELECT e.latitude, e.longitude, c.population FROM establishments e JOIN communes c ON c.insee = "
            "e.commune_insee WHERE e.category = 'EAJE' AND c.population > 0 ORDER BY e.id"
        )
        towns = await connection.fetch("SELECT insee, population FROM communes WHERE population > 0 ORDER BY insee")
    finally:
        await connection.close()
    if not eaje or not towns:
        raise ValueError("the bench database has no EAJE or commune to draw the mix from")
    rng = random.Random(seed)
    start = today()
    days = {"from": start.isoformat(), "to": (start + timedelta(days=DAYS - 1)).isoformat()}
    places = rng.choices([(r["latitude"], r["longitude"]) for r in eaje], [r["population"] for r in eaje], k=count)
    communes = _by_commune(rng, [(r["insee"], r["population"]) for r in towns], count)
    samples = []
    for n in range(count):
        if n % 2:
            samples.append(communes[n])
            continue
        latitude, longitude = places[n]
        point = {
            "lat": round(latitude + rng.uniform(-JITTER_DEGREES, JITTER_DEGREES), 3),
            "lon": round(longitude + rng.uniform(-1.5 * JITTER_DEGREES, 1.5 * JITTER_DEGREES), 3),
        }
        variables = {**point, **days}
        samples.append(Sample("Q1", variables, variables))
    return samples


def write_mix(samples: list[Sample], directory: Path = WORK) -> dict[str, int]:
    """``<peer>-mix.jsonl`` per peer; returns the number of distinct bodies per query (what a cache can hold)."""
    directory.mkdir(parents=True, exist_ok=True)
    for peer in PEERS:
        documents = {query: document(peer, query) for query in ("Q1", "Q2")}
        lines = [_body(documents[s.query], s.query, s.variables(peer)) for s in samples]
        bodies_path(peer, MIX, directory).write_text("\n".join(lines) + "\n")
    distinct: dict[str, set[str]] = {"Q1": set(), "Q2": set()}
    for s in samples:
        distinct[s.query].add(json.dumps(s.gateway, sort_keys=True))
    return {query: len(found) for query, found in distinct.items()}


def read_bodies(peer: str, query: str, directory: Path = WORK) -> list[dict[str, Any]]:
    path = bodies_path(peer, query, directory)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: bench/run_bench.py writes it")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
