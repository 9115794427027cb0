"""L2 of the quality targets: a moderator's approval → the publication event received by a GraphQL subscriber.

    .venv/bin/python bench/run_publication_bench.py [seconds]     # default 120 s per phase at 5 approvals/s

* the system: the gateway and moderation services as processes (``structures gateway|moderation``) on the local
  stack's PostgreSQL and Kafka. A subscriber follows ``publications(filter: {types: [OPERATING_INFO_PUBLISHED]})``
  over graphql-transport-ws (gql, a standard client). Open loop, 5 approvals/s: each tick an agent submits new
  hours for one of 20 crèches, the item is looked up in the moderation database (the moderator's « find it in
  the queue », not measured), then claimed and approved through the moderation GraphQL API. Latency = the moment
  the subscriber reads the event (matched by establishment and version) − the moment the approving moderator read
  the mutation's answer. Two phases: alone, then with the L1 load in the background (20 submissions/s on 20 other
  crèches).
* the peer, in the same run, on the same broker and database: the floor of the same shape of pipeline with bare
  parts — an aiokafka producer (acks=all) sends a « decision », a consumer commits an asyncpg INSERT and produces a
  « publication » (acks=all), a group-less reader pushes it through a `websockets` server to a `websockets` client.
  Latency = the client's receipt − the broker's acknowledgement of the decision.

Writes ``bench/results/<timestamp>-publications.json`` and ``publications.md``, and the key ``L2`` of ``latest.json``.
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, ensure_stack, machine
from run_submission_bench import TEMPORARY, drive, fresh_database, prepare_gateway, summary

from gateway.accounts.tokens import TokenSigner
from gateway.graphql.relay import to_global_id
from shared.relay import key_of
from shared.sealing import generate_key_pair
from tests.e2e.processes import ServiceProcess, free_port, service_env
from tests.e2e.test_escautpont_story import Api
from tests.integration.test_operating_info_submission import INFO, SUBMIT
from tests.subscriptions import collect

RATE = 5
CRECHES = 20
BACKGROUND_RATE = 20
PEER_SECONDS = 60
CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { rowVersion }
  userErrors { code } } }"""
APPROVE = """mutation($id: ID!, $v: Int!) { approveReviewItem(id: $id, rowVersion: $v) { item { status }
  userErrors { code } } }"""


class Approvals:
    """Submit, find, claim, approve — open loop; remembers when each approval was answered."""

    def __init__(self, api: Api, agent: str, moderators: Api, moderator: str, moderation_dsn: str) -> None:
        self.agent = httpx.AsyncClient(base_url=api.url, headers={"authorization": f"Bearer {agent}"}, timeout=30)
        self.moderation = httpx.AsyncClient(
            base_url=moderators.url, headers={"authorization": f"Bearer {moderator}"}, timeout=30
        )
        self.dsn = moderation_dsn
        self.approved: dict[tuple[str, int], float] = {}  # (establishment global id, version) -> answered at
        self.failures: list[str] = []

    async def run(self, creches: list[str], seconds: float, phase: str, rate: float = RATE) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=8)
        tasks, started = [], time.monotonic()
        for n in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(self.one(creches[n % len(creches)], f"l2-{phase}-{n}")))
        await asyncio.gather(*tasks)
        await self.pool.close()

    async def one(self, crèche: str, key: str) -> None:
        global_id = to_global_id("Establishment", crèche)
        document = INFO | {"fees": f"Barème national des participations familiales ({key})."}
        body = await self._call(self.agent, SUBMIT, id=global_id, info=document, key=key)
        submission = ((body.get("data") or {}).get("submitOperatingInfo") or {}).get("submission")
        if not submission:
            self.failures.append(f"submit: {body}")
            return
        item = await self._review_item(key_of(submission["id"], "Submission"))
        item_id = to_global_id("ReviewItem", item["id"])
        claimed = (await self._call(self.moderation, CLAIM, id=item_id, v=item["row_version"]))["data"]
        row_version = claimed["claimReviewItem"]["item"]["rowVersion"]
        approved = (await self._call(self.moderation, APPROVE, id=item_id, v=row_version))["data"]
        answered = time.time()
        if approved["approveReviewItem"]["userErrors"]:
            self.failures.append(f"approve: {approved}")
            return
        self.approved[(global_id, submission["version"])] = answered

    async def _review_item(self, submission_id: str) -> Any:
        async with asyncio.timeout(30):
            while True:
                row = await self.pool.fetchrow(
                    "SELECT id, row_version FROM review_items WHERE submission_id = $1", submission_id
                )
                if row is not None:
                    return row
                await asyncio.sleep(0.005)

    @staticmethod
    async def _call(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
        return (await client.post("/graphql", json={"query": query, "variables": variables})).json()


async def system(stack: Any, seconds: float, folder: Path) -> dict[str, Any]:
    names = {name: f"bench_l2_{name}" for name in ("gateway", "moderation")}
    for database in names.values():
        await fresh_database(stack.admin_dsn, database)
    urls = {name: stack.sqlalchemy_url(database) for name, database in names.items()}
    _, public_key = generate_key_pair()
    creches = await prepare_gateway(urls["gateway"], public_key, creches=2 * CRECHES, caf_agent=True)
    approved_creches, background_creches = creches[:CRECHES], creches[CRECHES:]
    seed = os.urandom(32)
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    gateway_extra = {"NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": base64.b64encode(seed).decode()}
    moderation_extra = {"TOKEN_PUBLIC_KEY": TokenSigner(seed).jwks()["keys"][0]["x"]}
    gateway = ServiceProcess("gateway", service_env("GATEWAY", urls["gateway"], stack.kafka, namespace,
                             **gateway_extra), folder / "gateway.log")  # fmt: skip
    moderation = ServiceProcess("moderation", service_env("MODERATION", urls["moderation"], stack.kafka, namespace,
                                **moderation_extra), folder / "moderation.log")  # fmt: skip
    received: dict[tuple[str, int], float] = {}
    results: dict[str, Any] = {}
    try:
        for process in (moderation, gateway):
            process.start()
            await process.wait_ready(report="ready")
        api, moderators = Api(gateway.url), Api(moderation.url)
        agent = await api.first_login("m.dupont.escautpont", TEMPORARY, "un banc d'essai pour les publications")
        moderator = await api.first_login("a.mathon.caf59", TEMPORARY, "la Caf du Nord modère le banc d'essai")
        events: list[dict[str, Any]] = []
        subscriber = asyncio.create_task(_timed(gateway.ws_url, moderator, events, received))
        await gateway.wait_ready(report="ready", gauge=("publication_subscribers", 1))
        approvals = Approvals(api, agent, moderators, moderator, stack.dsn(names["moderation"]))
        await approvals.run(approved_creches, 5, "warm-up")  # not counted
        for phase, background in (("alone", False), ("with_l1_background", True)):
            approvals.approved = {}
            load = (
                asyncio.create_task(drive(api, agent, background_creches, seconds, f"bg-{phase}", BACKGROUND_RATE))
                if background else None
            )  # fmt: skip
            await approvals.run(approved_creches, seconds, phase)
            if load is not None:
                await load
            results[phase] = await _latencies(approvals, received, seconds)
        subscriber.cancel()
    finally:
        for process in (gateway, moderation):
            process.stop()
    return results


async def _timed(url: str, token: str, events: list[dict[str, Any]], received: dict[tuple[str, int], float]) -> None:
    """Subscribe, and note when each publication (establishment, version) arrived."""

    class Stamping(list[dict[str, Any]]):
        def append(self, event: dict[str, Any]) -> None:
            received[(event["establishmentId"], event["data"]["version"])] = time.time()
            super().append(event)

    await collect(url, token, {"types": ["OPERATING_INFO_PUBLISHED"]}, Stamping())


async def _latencies(approvals: Approvals, received: dict[tuple[str, int], float], seconds: float) -> dict[str, Any]:
    await _until(lambda: all(key in received for key in approvals.approved))
    latencies = [(received[key] - at) * 1000 for key, at in approvals.approved.items()]
    return summary(latencies) | {
        "failures": len(approvals.failures), "first_failures": approvals.failures[:3], "seconds": seconds,
        "approvals_per_s": RATE,
    }  # fmt: skip


async def _until(done: Callable[[], bool]) -> None:
    """Wait (polling) until ``done()``; a TimeoutError after 30 s."""
    async with asyncio.timeout(30):
        while True:
            if done():
                return
            await asyncio.sleep(0.05)


async def peer(stack: Any, seconds: float) -> dict[str, Any]:
    """Decision → consumer (INSERT + produce) → group-less reader → websockets server → websockets client."""
    run = uuid.uuid4().hex[:8]
    decided, published = f"bench-peer-decided-{run}", f"bench-peer-published-{run}"
    connection = await asyncpg.connect(stack.dsn("bench_l2_gateway"))
    await connection.execute("CREATE TABLE IF NOT EXISTS bench_peer (id text PRIMARY KEY, committed_at timestamptz)")
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all", enable_idempotence=True)
    await producer.start()
    for topic in (decided, published):
        await producer.send_and_wait(topic, b"warm-up")
    applier = AIOKafkaConsumer(decided, bootstrap_servers=stack.kafka, group_id=run, auto_offset_reset="earliest",
                               enable_auto_commit=False)  # fmt: skip
    reader = AIOKafkaConsumer(published, bootstrap_servers=stack.kafka, group_id=None, auto_offset_reset="earliest")
    await applier.start()
    await reader.start()
    clients: set[Any] = set()

    async def handler(socket: Any) -> None:
        clients.add(socket)
        try:
            await socket.wait_closed()
        finally:
            clients.discard(socket)

    async def apply() -> None:
        async for message in applier:
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO bench_peer VALUES ($1, now()) ON CONFLICT DO NOTHING", message.value.decode()
                )
            await applier.commit()
            await producer.send_and_wait(published, message.value)

    async def fan_out() -> None:
        async for message in reader:
            for socket in tuple(clients):
                await socket.send(message.value.decode())

    port = free_port()
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    total = int(seconds * RATE)
    async with websockets.serve(handler, "127.0.0.1", port):
        tasks = [asyncio.create_task(apply()), asyncio.create_task(fan_out())]
        async with websockets.connect(f"ws://127.0.0.1:{port}") as client:

            async def receive() -> None:
                async for frame in client:
                    got.setdefault(str(frame), time.time())

            receiving = asyncio.create_task(receive())
            try:
                started = time.monotonic()
                for n in range(total):
                    await asyncio.sleep(max(0.0, started + n / RATE - time.monotonic()))
                    await producer.send_and_wait(decided, str(n).encode())
                    sent[str(n)] = time.time()
                await _until(lambda: all(key in got for key in sent))
            finally:
                for task in (*tasks, receiving):
                    task.cancel()
                await applier.stop()
                await reader.stop()
                await producer.stop()
                await connection.close()
    return summary([(got[k] - at) * 1000 for k, at in sent.items()]) | {"seconds": seconds}


async def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    stack = ensure_stack()
    folder = Path(tempfile.mkdtemp(prefix="bench-l2-"))  # the services' logs, kept for a look after the run
    measured = await system(stack, seconds, folder)
    floor = await peer(stack, min(seconds, PEER_SECONDS))
    return write(measured, floor, seconds)


def write(measured: dict[str, Any], floor: dict[str, Any], seconds: float) -> int:
    now = datetime.now(UTC)
    checks = {
        "p99_ms<=250_alone": measured["alone"]["p99_ms"] <= 250,
        "p99_ms<=250_with_l1_background": measured["with_l1_background"]["p99_ms"] <= 250,
        "no_failed_approval": all(phase["failures"] == 0 for phase in measured.values()),
        "at_least_2_minutes_per_phase": seconds >= 120,
    }
    raw = {"date": now.isoformat(), "machine": machine(), "command": "bench/run_publication_bench.py",
           "system": measured, "peer_pipeline_floor": floor, "checks": checks}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-publications.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    worst = max(phase["p99_ms"] for phase in measured.values())
    latest["L2"] = {
        "value": worst, "unit": "ms (p99, worst phase)", "alone_p99_ms": measured["alone"]["p99_ms"],
        "with_l1_background_p99_ms": measured["with_l1_background"]["p99_ms"], "peer": floor["p99_ms"],
        "peer_name": "aiokafka decision → asyncpg INSERT + produce → group-less reader → websockets",
        "target": "p99 <= 250 ms, approval answered → event read by a GraphQL subscriber",
        "met": all(checks.values()), "checks": checks, "command": raw["command"], "date": raw["date"],
        "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "publications.md").write_text(markdown(raw))
    print(json.dumps({"system": measured, "peer": floor, "checks": checks}, indent=1))
    return 0


def markdown(raw: dict[str, Any]) -> str:
    phases, floor = raw["system"], raw["peer_pipeline_floor"]
    rows = [
        f"| approval → subscriber, {name.replace('_', ' ')} ({p['seconds']:.0f} s at {p['approvals_per_s']}/s) | "
        f"{p['count']} | {p['p50_ms']} ms | {p['p99_ms']} ms | {p['max_ms']} ms | {p['failures']} |"
        for name, p in phases.items()
    ]
    return "\n".join(
        [
            "# Publication pipeline benchmark (L2)",
            "",
            f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores",
            f"- Command: `{raw['command']}`; the gateway, moderation, PostgreSQL and Kafka all on this machine",
            "- Path: moderation commit + outbox → Kafka → gateway applies the decision (commit + outbox) → Kafka → "
            "the gateway's group-less reader → feed → graphql-transport-ws → gql client",
            "",
            "| pipeline | approvals | p50 | p99 | max | failures |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            f"| peer: aiokafka → INSERT + produce → reader → websockets ({floor['seconds']:.0f} s) | "
            f"{floor['count']} | {floor['p50_ms']} ms | {floor['p99_ms']} ms | {floor['max_ms']} ms | — |",
            "",
            "Target: p99 ≤ 250 ms. Checks: "
            + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in raw["checks"].items()),
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
