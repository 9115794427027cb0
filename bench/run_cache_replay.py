"""P2's mix replayed in process against the response cache alone: its hit rate and removals, without load noise.

The real cache classes (:class:`RequestReader`, :class:`ResponseCache`, :class:`Invalidation` with the place index
loaded from the bench database) see the P2 mix's bodies (``bench/.work/gateway-mix.jsonl``, written by
``run_bench.py --p2``) in order, and between them the availability publications of P2's 20 agents (the same draw:
EAJE by commune population, seed 20251127), one every ``--requests-per-publication`` bodies (78: 5/s against the
gateway's ~390 req/s on a quiet machine). Answers are not computed: each stands in as the establishments it would
show — Q2: the first 50 of its commune by name; Q1: the 20 nearest EAJE within 5 km with free places in the next
14 days (as loaded: the publications' own changes are not followed) — with the size of a real one
(measured: ~1,075 bytes per Q1 establishment, ~340 per Q2 one). So the figures are the cache's own (its key, tags,
bound, invalidation), not the gateway's speed; the hit rate of a real run also depends on how many bodies the
gateway gets through per publication.

Runs against whatever ``gateway`` package is imported: ``PYTHONPATH=<checkout>`` compares two checkouts.

    STACK_DIR=... .venv/bin/python bench/run_cache_replay.py [--requests 27300] [--mb 64]
"""

import argparse
import asyncio
import json
import math
import random
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from catalogue_bench.environment import ensure_stack

from gateway.publications.feed import Publication, PublicationType
from gateway.response_cache import store as store_module
from gateway.response_cache.invalidation import Invalidation
from gateway.response_cache.requests import RequestReader
from gateway.response_cache.store import Entry, Replay, ResponseCache
from gateway.response_cache.tags import PlaceIndex, establishment_tag
from shared.events import PublicPlace

try:
    from gateway.response_cache.tags import distance
except ImportError:  # a checkout before the « near » precision
    distance = None  # type: ignore[assignment]

MIX = Path(__file__).resolve().parent / ".work" / "gateway-mix.jsonl"
Q1_BYTES, Q2_BYTES, COMPRESSED = 1075, 340, 7.2
"""Bytes of an answer per establishment shown, and how much zlib level 1 shrinks it (measured on real answers)."""
HEADERS = ((b"content-type", b"application/json"),)


async def load(dsn: str) -> tuple[list[Any], list[Any], list[Any], set[str]]:
    connection = await asyncpg.connect(dsn)
    try:
        establishments = await connection.fetch(
            "SELECT id::text, name, category, commune_insee, departement, latitude, longitude FROM establishments"
        )
        places = await connection.fetch(
            "SELECT DISTINCT commune_insee, postal_code, round(latitude::numeric, 2)::float8, "
            "round(longitude::numeric, 2)::float8 FROM establishments"
        )
        eaje = await connection.fetch(
            "SELECT e.id, e.provider_id, e.departement, c.name AS commune, c.population FROM establishments e "
            "JOIN communes c ON c.insee = e.commune_insee WHERE e.category = 'EAJE' AND c.population > 0 ORDER BY e.id"
        )
        free = await connection.fetch(
            "SELECT DISTINCT establishment_id FROM availabilities WHERE places > 0 AND day >= current_date "
            "AND day < current_date + 14"
        )
    finally:
        await connection.close()
    return establishments, places, eaje, {row[0] for row in free}


def agents(eaje: list[Any], count: int, seed: int) -> list[str]:
    """The publisher's draw (catalogue_bench/publisher.py create_agents)."""
    rng, chosen = random.Random(seed), dict[str, Any]()
    while len(chosen) < min(count, len(eaje)):
        row = rng.choices(eaje, [r["population"] for r in eaje])[0]
        chosen[str(row["id"])] = row
    return list(chosen)


def replay(
    args: argparse.Namespace, establishments: list[Any], places: list[Any], agent_ids: list[str], free: set[str]
) -> dict[str, Any]:
    by_commune: dict[str, list[Any]] = defaultdict(list)
    grid: dict[tuple[int, int], list[Any]] = defaultdict(list)
    by_id = {row["id"]: row for row in establishments}
    for row in establishments:
        by_commune[row["commune_insee"]].append(row)
        if row["category"] == "EAJE" and row["id"] in free:
            grid[(math.floor(row["latitude"] * 10), math.floor(row["longitude"] * 10))].append(row)
    for rows in by_commune.values():
        rows.sort(key=lambda r: (r["name"], r["id"]))

    def shown(variables: dict[str, Any]) -> tuple[list[str], int]:
        if "insee" in variables:
            return [r["id"] for r in by_commune.get(variables["insee"], [])[:50]], Q2_BYTES
        lat, lon = variables["lat"], variables["lon"]
        near = []
        for i in range(math.floor(lat * 10) - 1, math.floor(lat * 10) + 2):
            for j in range(math.floor(lon * 10) - 1, math.floor(lon * 10) + 2):
                for r in grid.get((i, j), ()):
                    d = math.hypot((r["latitude"] - lat) * 111.2, (r["longitude"] - lon) * 111.2 * math.cos(lat / 57.3))
                    if d <= 5:
                        near.append((d, r["id"]))
        return [key for _, key in sorted(near)[:20]], Q1_BYTES

    compress = getattr(store_module, "compress", None)
    cache = ResponseCache(args.mb * 1024 * 1024)
    index = PlaceIndex()
    index.load([(r[0], r[1], r[2], r[3]) for r in places])
    if hasattr(index, "load_positions"):
        eaje = [r for r in establishments if r["category"] == "EAJE"]
        index.load_positions((r["id"], r["latitude"], r["longitude"]) for r in eaje)
    invalidation = Invalidation(cache, index)
    kinds: dict[str, str] = {}
    hits: dict[str, int] = defaultdict(int)
    dropped: dict[str, int] = defaultdict(int)
    invalidate = cache.invalidate

    def counting(*given: Any, **options: Any) -> list[Entry]:
        entries = invalidate(*given, **options)
        for entry in entries:
            dropped[kinds[entry.key]] += 1
        return entries

    cache.invalidate = counting  # type: ignore[method-assign]
    reader, today, seen = RequestReader(), datetime.now(UTC).date(), set()
    possible = published = 0
    lines = MIX.read_text().splitlines()[: args.requests]
    for n, line in enumerate(lines):
        if n and n % args.requests_per_publication == 0:
            key = agent_ids[published % len(agent_ids)]
            row = by_id[key]
            place = PublicPlace(departement=row["departement"], commune_insee=row["commune_insee"], category="EAJE")
            publication = Publication(
                str(uuid.uuid4()), PublicationType.AVAILABILITIES_PUBLISHED, key, place, datetime.now(UTC), {}, n
            )
            invalidation([publication])
            published += 1
        params = json.loads(line)
        request = reader.read(params["query"], params.get("operationName"), params.get("variables"), today)
        assert request is not None, "every body of the mix is cacheable"
        possible += request.key in seen
        seen.add(request.key)
        kinds[request.key] = "Q2" if "insee" in params["variables"] else "Q1"
        if cache.get(request.key) is not None:
            hits[kinds[request.key]] += 1
            continue
        ids, per = shown(params["variables"])
        size = max(200, per * len(ids))
        body = b"x" * (int(size / COMPRESSED) if compress else size)
        tags = request.tags() | frozenset(establishment_tag(i) for i in ids)
        entry = Entry(request.key, body, HEADERS, tags, None, Replay("POST", b"", line.encode(), HEADERS))
        if hasattr(request, "reads_availabilities"):
            entry.availabilities = request.reads_availabilities()
        if hasattr(request, "circles"):
            entry.circles = request.circles()
            page = [index.position(i) for i in ids] if len(ids) == 20 and entry.circles else []
            if page and all(p is not None for p in page):
                entry.reach = max(distance(p, entry.circles) for p in page if p is not None)
        cache.store(cache.begin(), entry)
    counts = cache.counts
    return {
        "requests": len(lines),
        "publications": published,
        "hit_rate": round(counts.hits / len(lines), 4),
        "possible": round(possible / len(lines), 4),
        "hits": dict(hits),
        "dropped_by_publications": counts.invalidations,
        "dropped_by_query": dict(dropped),
        "evicted_by_bound": counts.evictions,
        "entries": len(cache),
        "bytes_counted": cache.bytes,
        "compressed": compress is not None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=27_300, help="bodies of the mix (~70 s at 390 req/s)")
    parser.add_argument("--requests-per-publication", type=int, default=78)
    parser.add_argument("--mb", type=int, default=64, help="the cache's bound")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20251127)
    parser.add_argument("--database", default="bench_catalogue")
    args = parser.parse_args()
    if not MIX.exists():
        sys.exit(f"{MIX} is missing: run `bench/run_bench.py --p2` once (it draws the mix)")
    establishments, places, eaje, free = asyncio.run(load(ensure_stack().dsn(args.database)))
    print(json.dumps(replay(args, establishments, places, agents(eaje, args.agents, args.seed), free)))


if __name__ == "__main__":
    main()
