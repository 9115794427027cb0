"""L1 of the quality targets: a submission acknowledged by the gateway → its review item committed in moderation.

    .venv/bin/python bench/run_submission_bench.py [seconds]      # default 300 s at 20 submissions/s

* the system: the gateway and moderation services as processes (``structures gateway|moderation``) on the local
  stack's PostgreSQL and Kafka; one agent submits to 20 crèches in turn at 20 submissions/s, open loop (a
  submission starts every 50 ms whatever the previous ones do). Latency = the review item's ``received_at`` (the
  moderation handler's clock, inside its committing transaction) − the moment the client read the acknowledgement.
* the peer, in the same run, on the same broker and database: the floor of any Kafka pipeline into PostgreSQL — an
  aiokafka producer (acks=all) sends one message per tick at the same pace for 60 s, an aiokafka consumer reads
  each and commits an INSERT with asyncpg. Latency = commit − the broker's acknowledgement of the send.

Writes ``bench/results/<timestamp>-submissions.json`` and ``submissions.md``, and the key ``L1`` of ``latest.json``.
"""

import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, ensure_stack, machine

from gateway.accounts import services
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT
from gateway.graphql.relay import to_global_id
from shared.db import create_engine, create_session_factory
from shared.relay import key_of
from shared.sealing import generate_key_pair
from tests.catalogue_data import fill_catalogue
from tests.e2e.processes import ServiceProcess, service_env
from tests.e2e.test_escautpont_story import Api
from tests.integration.test_operating_info_submission import INFO, SUBMIT

RATE = 20
CRECHES = 20
PEER_SECONDS = 60
TEMPORARY = "Tmp4Pass"


def _temporary() -> str:
    return TEMPORARY


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "count": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


async def fresh_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def prepare_gateway(
    url: str, public_key: str, *, creches: int = CRECHES, right: str = "OPERATING_INFO", caf_agent: bool = False
) -> list[str]:
    """The catalogue, an Escautpont agent holding ``right`` on the provider's first ``creches`` crèches (and a Caf
    du Nord agent if asked), all with the known first password; returns the crèches' ids."""
    await fill_catalogue(url)
    engine = create_engine(url)
    hashing = PasswordHashing()
    vars(services)["generate_password"] = _temporary  # this script's own accounts get a known first password
    try:
        async with create_session_factory(engine)() as session, session.begin():
            issuing, now = PasswordIssuing(hashing, public_key), datetime.now(UTC)
            agent = await services.create_provider_agent(
                session, NewPerson("Dupont", "Marie", "Directrice", "m.dupont@escautpont.example"),
                provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59", issuing=issuing, now=now,
            )  # fmt: skip
            if caf_agent:
                await services.bootstrap_caf_agent(
                    session, NewPerson("Mathon", "Audrey", "Modératrice", "a.mathon@caf59.example"),
                    caf_code="CAF59", issuing=issuing, now=now,
                )  # fmt: skip
            rows = await session.execute(
                text("SELECT id FROM establishments WHERE provider_id = :p AND category = 'EAJE' ORDER BY id LIMIT :n"),
                {"p": MAIRIE_ESCAUTPONT, "n": creches},
            )
            ids = [str(r[0]) for r in rows]
            await session.execute(
                account_rights.insert(), [{"account_id": agent.id, "establishment_id": c, "right": right} for c in ids]
            )
    finally:
        hashing.close()
        await engine.dispose()
    return ids


async def drive(
    api: Api, token: str, creches: list[str], seconds: float, phase: str, rate: int = RATE
) -> tuple[dict[str, float], int]:
    """Open-loop submissions; returns {submission id: acknowledgement time} and the number of failures."""
    acknowledged: dict[str, float] = {}
    failures = 0
    client = httpx.AsyncClient(base_url=api.url, headers={"authorization": f"Bearer {token}"}, timeout=30)

    async def one(n: int) -> None:
        nonlocal failures
        crèche = to_global_id("Establishment", creches[n % len(creches)])
        document = INFO | {"fees": f"Barème national des participations familiales (banc {n})."}
        variables = {"id": crèche, "info": document, "key": f"l1-{phase}-{n}"}
        body = (await client.post("/graphql", json={"query": SUBMIT, "variables": variables})).json()
        result = (body.get("data") or {}).get("submitOperatingInfo") or {}
        if result.get("submission"):
            acknowledged[key_of(result["submission"]["id"], "Submission")] = time.time()
        else:
            failures += 1

    tasks, started = [], time.monotonic()
    for n in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    await client.aclose()
    return acknowledged, failures


async def committed_at(dsn: str, expected: int, within: float = 120) -> dict[str, float]:
    connection = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(within):
            while True:
                rows = await connection.fetch("SELECT submission_id, received_at FROM review_items")
                if len(rows) >= expected:
                    return {r["submission_id"]: r["received_at"].timestamp() for r in rows}
                await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def system(stack: Any, seconds: float, folder: Path) -> dict[str, Any]:
    urls = {name: stack.sqlalchemy_url(f"bench_l1_{name}") for name in ("gateway", "moderation")}
    for name in urls:
        await fresh_database(stack.admin_dsn, f"bench_l1_{name}")
    _, public_key = generate_key_pair()
    creches = await prepare_gateway(urls["gateway"], public_key)
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    extra = {"NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode()}
    gateway = ServiceProcess("gateway", service_env("GATEWAY", urls["gateway"], stack.kafka, namespace, **extra),
                             folder / "gateway.log")  # fmt: skip
    moderation = ServiceProcess("moderation", service_env("MODERATION", urls["moderation"], stack.kafka, namespace),
                                folder / "moderation.log")  # fmt: skip
    try:
        for process in (moderation, gateway):
            process.start()
            await process.wait_ready()
        api = Api(gateway.url)
        token = await api.first_login("m.dupont.escautpont", TEMPORARY, "un banc d'essai pour les saisies")
        await drive(api, token, creches, 5, "warm-up")  # not counted
        warm = await committed_at(stack.dsn("bench_l1_moderation"), 5 * RATE)
        acknowledged, failures = await drive(api, token, creches, seconds, "measured")
        commits = await committed_at(stack.dsn("bench_l1_moderation"), len(warm) + len(acknowledged))
    finally:
        for process in (gateway, moderation):
            process.stop()
    latencies = [(commits[sid] - at) * 1000 for sid, at in acknowledged.items() if sid in commits]
    missing = sum(1 for sid in acknowledged if sid not in commits)  # acknowledged, never queued: reported, not hidden
    return summary(latencies) | {"failures": failures, "missing": missing, "seconds": seconds, "rate_per_s": RATE}


async def peer(stack: Any, seconds: float) -> dict[str, Any]:
    topic, dsn = f"bench-peer-{uuid.uuid4().hex[:8]}", stack.dsn("bench_l1_moderation")
    connection = await asyncpg.connect(dsn)
    await connection.execute("CREATE TABLE IF NOT EXISTS bench_peer (id text PRIMARY KEY, committed_at timestamptz)")
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.kafka, group_id=topic, auto_offset_reset="earliest",
                                enable_auto_commit=False)  # fmt: skip
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    sent: dict[str, float] = {}
    committed: dict[str, float] = {}
    total, all_committed = int(seconds * RATE), asyncio.Event()

    async def consume() -> None:
        async for message in consumer:
            key = message.value.decode()
            async with connection.transaction():
                await connection.execute("INSERT INTO bench_peer VALUES ($1, now()) ON CONFLICT DO NOTHING", key)
            await consumer.commit()
            if key == "warm-up":
                continue
            committed[key] = time.time()
            if len(committed) >= total:
                all_committed.set()

    reader = asyncio.create_task(consume())
    try:
        started = time.monotonic()
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / RATE - time.monotonic()))
            key = f"{n}"
            await producer.send_and_wait(topic, key.encode())
            sent[key] = time.time()
        async with asyncio.timeout(30):
            await all_committed.wait()
    finally:
        reader.cancel()
        await consumer.stop()
        await producer.stop()
        await connection.close()
    return summary([(committed[k] - at) * 1000 for k, at in sent.items()]) | {"seconds": seconds}


async def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    stack = ensure_stack()
    folder = Path(tempfile.mkdtemp(prefix="bench-l1-"))  # the services' logs, kept for a look after the run
    measured = await system(stack, seconds, folder)
    floor = await peer(stack, min(seconds, PEER_SECONDS))
    return write(measured, floor)


def write(measured: dict[str, Any], floor: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    checks = {
        "p50_ms<=50": measured["p50_ms"] <= 50,
        "p99_ms<=250": measured["p99_ms"] <= 250,
        "no_failed_submission": measured["failures"] == 0,
        "none_lost": measured["missing"] == 0,
        "5_minutes_at_20_per_s": measured["seconds"] >= 300,
    }
    raw = {"date": now.isoformat(), "machine": machine(), "command": "bench/run_submission_bench.py",
           "system": measured, "peer_kafka_to_postgres_floor": floor, "checks": checks}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-submissions.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["L1"] = {
        "value": measured["p99_ms"], "unit": "ms (p99)", "p50_ms": measured["p50_ms"], "peer": floor["p99_ms"],
        "peer_name": "aiokafka produce → consume → asyncpg INSERT, same broker and database",
        "target": "p50 <= 50 ms, p99 <= 250 ms at 20 submissions/s for 5 minutes",
        "met": all(checks.values()), "checks": checks, "command": raw["command"], "date": raw["date"],
        "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "submissions.md").write_text(markdown(raw))
    print(json.dumps({"system": measured, "peer": floor, "checks": checks}, indent=1))
    return 0


def markdown(raw: dict[str, Any]) -> str:
    system_, floor = raw["system"], raw["peer_kafka_to_postgres_floor"]
    return "\n".join(
        [
            "# Submission pipeline benchmark (L1)",
            "",
            f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores",
            f"- Command: `{raw['command']}`; the gateway, moderation, PostgreSQL and Kafka all on this machine",
            "",
            "| pipeline | submissions | p50 | p99 | max | failures |",
            "|---|---:|---:|---:|---:|---:|",
            f"| gateway → outbox → Kafka → moderation ({system_['seconds']:.0f} s at {system_['rate_per_s']}/s) | "
            f"{system_['count']} | {system_['p50_ms']} ms | {system_['p99_ms']} ms | {system_['max_ms']} ms | "
            f"{system_['failures']} |",
            f"| peer: aiokafka produce → consume → INSERT ({floor['seconds']:.0f} s) | {floor['count']} | "
            f"{floor['p50_ms']} ms | {floor['p99_ms']} ms | {floor['max_ms']} ms | — |",
            "",
            "Target: p50 ≤ 50 ms, p99 ≤ 250 ms. Checks: "
            + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in raw["checks"].items()),
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
