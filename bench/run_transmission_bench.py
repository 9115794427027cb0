"""T1 of issue 18: one transmission of 500 establishments × 90 days, accepted in ≤ 2 s p99 on this machine.

    STACK_DIR=/work/main/.stack .venv/bin/python bench/run_transmission_bench.py [--establishments 500]
        [--days 90] [--runs 20] [--no-write]

* the system: the gateway in-process (its ASGI app through httpx's ASGI transport — no socket, no uvicorn) on a
  fresh database of the running stack's PostgreSQL, filled with the test catalogue (45 EAJE) plus crèches with the
  multi-accueil's published hours up to N, the in-process bus. A transmission client is granted the first N EAJE
  crèches; each run sends one body of N crèches × the days of the next D on which the multi-accueil is open
  (JOURNEE, cancel and replace of the previous run's dates) with a fresh Idempotency-Key. Latency = the POST's
  answer − its start, token already held. Entries refused by a crèche's own closed days are counted, not hidden.
  cpu_p50_ms: this process's CPU time during the POST (the gateway's Python, the ASGI client, the outbox relay of
  the previous run's events), PostgreSQL's work not included — less sensitive than latency to a busy machine.
* relayed_max_ms: after each answer, until the outbox holds no unsent event — the publication events handed to
  the bus (Kafka in production) — polled every 10 ms; the next run starts after it, so runs do not overlap.
  Not measured here: their delivery to GraphQL subscribers (L2, bench/run_publication_bench.py).

Writes ``bench/results/<timestamp>-transmission.json`` and the key ``T1`` of ``latest.json`` (unless --no-write).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, machine

from gateway.catalogue import writes
from gateway.catalogue.calendar import closed_on
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL_INFO
from gateway.graphql.relay import to_global_id
from gateway.transmission import clients
from tests.catalogue_data import fill_catalogue
from tests.conftest import Stack
from tests.gateway_app import gateway_at

TARGET_MS = 2000.0
REPO = Path(__file__).resolve().parents[1]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--establishments", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="a smoke run: print, write nothing")
    return parser.parse_args()


def _weekdays(count: int) -> list[date]:
    first = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=3)
    days = [first + timedelta(days=n) for n in range(count)]
    return [d for d in days if closed_on(MULTI_ACCUEIL_INFO, d, "59") is None]


def _body(ids: list[str], days: list[date], run: int) -> dict[str, Any]:
    entries = [{"date": d.isoformat(), "places": (run + i) % 5} for i, d in enumerate(days)]
    return {"establishments": [{"establishmentId": to_global_id("Establishment", e), "availabilities": entries}
                               for e in ids]}  # fmt: skip


async def _database(stack: Stack) -> tuple[str, str]:
    name = f"bench_transmission_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = stack.database_url(name)
    await fill_catalogue(url)
    return name, url


async def _drop(stack: Stack, name: str) -> None:
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _add_creches(session: Any, count: int) -> None:
    """Crèches of Escautpont with the multi-accueil's published hours, up to ``count`` EAJE in all."""
    have = int(await session.scalar(text("SELECT count(*) FROM establishments WHERE category = 'EAJE'")) or 0)
    now = datetime.now(UTC)
    for index in range(count - have):
        added = await writes.add_establishment(
            session, id=str(uuid.UUID(int=10_000 + index)), name=f"Crèche du banc {index:03d}", category="EAJE",
            eaje_type="CRECHE_COLLECTIVE", alsh_kinds=[], provider_id=MAIRIE_ESCAUTPONT, postal_code="59278",
            commune_insee="59207", departement="59", latitude=50.4, longitude=3.55, capacity=30, updated_at=now,
        )  # fmt: skip
        await writes.publish_operating_info(
            session, added, MULTI_ACCUEIL_INFO, published_at=now - timedelta(days=30), agent_number="BENCH-1"
        )


async def _grant(app: Any, count: int) -> tuple[list[str], str, str]:
    async with app.state.runtime.sessions() as session, session.begin():
        await _add_creches(session, count)
    async with app.state.runtime.sessions() as session, session.begin():
        rows = await session.execute(
            text("SELECT id FROM establishments WHERE category = 'EAJE' ORDER BY id LIMIT :n"), {"n": count}
        )
        ids = [str(r[0]) for r in rows]
        found = await clients.grant_client(
            session, name="Bench", provider_id=MAIRIE_ESCAUTPONT, establishment_ids=ids, agent_number="BENCH-1",
            now=datetime.now(UTC),
        )  # fmt: skip
    return ids, found.client_id, found.secret


async def _relayed_after(app: Any) -> float:
    """Milliseconds from now until the outbox holds no unsent event (the relay handed them all to the bus)."""
    started = time.perf_counter()
    while time.perf_counter() - started < 60:
        async with app.state.runtime.sessions() as session:
            if not await session.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")):
                break
        await asyncio.sleep(0.01)
    return (time.perf_counter() - started) * 1000


async def _measure(arguments: argparse.Namespace, url: str) -> dict[str, Any]:
    async with gateway_at(url) as http:
        ids, client_id, secret = await _grant(http.app, arguments.establishments)  # type: ignore[attr-defined]
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        token = (await http.post("/oauth/token", data=form)).json()["access_token"]
        days = _weekdays(arguments.days)
        latencies, cpu, relayed, body_bytes, answer_bytes, outcome = [], [], [], 0, 0, {}
        for run in range(arguments.runs):
            body = json.dumps(_body(ids, days, run)).encode()
            body_bytes = len(body)
            headers = {"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4()),
                       "content-type": "application/json"}  # fmt: skip
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = await http.post("/transmission/availabilities", content=body, headers=headers, timeout=120)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            relayed.append(await _relayed_after(http.app))  # type: ignore[attr-defined]
            answer_bytes = len(answer.content)
            answer.raise_for_status()
            statuses = [r["status"] for r in answer.json()["results"]]
            outcome = {"accepted": statuses.count("ACCEPTED"), "refused": statuses.count("REFUSED")}
    ordered = sorted(latencies)
    return {
        "establishments": len(ids), "days_sent": len(days), "entries": len(ids) * len(days), "body_bytes": body_bytes,
        "answer_bytes": answer_bytes, "cpu_p50_ms": round(statistics.median(cpu), 1),
        "relayed_max_ms": round(max(relayed), 1),
        "runs": len(latencies), "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1), "max_ms": round(ordered[-1], 1),
        "last_run": outcome,
    }  # fmt: skip


async def main() -> int:
    arguments = _arguments()
    from structures.stack.env import load_stack_env

    stack = Stack(load_stack_env(REPO))
    name, url = await _database(stack)
    try:
        result = await _measure(arguments, url)
    finally:
        await _drop(stack, name)
    raw = {**result, "load_average": os.getloadavg(), "date": datetime.now(UTC).isoformat(), "machine": machine(),
           "command": " ".join(sys.argv)}  # fmt: skip
    print(json.dumps(raw, indent=2))
    if not arguments.no_write:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"{stamp}-transmission.json").write_text(json.dumps(raw, indent=2) + "\n")
        latest_path = RESULTS / "latest.json"
        latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
        met = raw["p99_ms"] <= TARGET_MS and raw["establishments"] >= 500 and raw["days_sent"] > 0
        latest["T1"] = {"value": raw["p99_ms"], "unit": "ms p99", "target": "<= 2000 ms p99, 500 crèches × 90 days",
                        "met": met, **{k: raw[k] for k in ("establishments", "entries", "runs", "load_average",
                                                          "command", "date", "machine")}}  # fmt: skip
        latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
