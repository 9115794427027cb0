"""M1 of the quality targets: one gateway process holds 2,000 open subscriptions and fans each publication out to
all of them with p99 ≤ 500 ms; the process stays ≤ 250 MB RSS.

    .venv/bin/python bench/run_fanout_bench.py [events]       # default 30 publications, one per second
    .venv/bin/python bench/run_fanout_bench.py --help         # one phase only, no results written (profiling)

* the system: a gateway process (``structures gateway``) on the local stack's PostgreSQL and Kafka. 200
  graphql-transport-ws connections (raw ``websockets`` clients, one process) each open 10 subscriptions to
  ``publications`` (2,000 in all; the gateway's default cap is 10 per connection). An agent publishes a crèche's
  availabilities once a second; latency = the moment a subscriber reads the event − the publication's
  ``occurredAt`` (stamped by the gateway just before its commit; same machine, same clock), so it covers commit,
  outbox relay, Kafka, the feed and the fan-out. The gateway's RSS is sampled from /proc every 100 ms.
* the peer, in the same run: a bare ``websockets`` server that sends the same JSON frame to the same 2,000
  subscriptions (200 connections × 10), with the same client harness; latency = receipt − the broadcast call.

Writes ``bench/results/<timestamp>-fanout.json`` and ``fanout.md``, and the key ``M1`` of ``latest.json``.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, ensure_stack, machine
from run_submission_bench import TEMPORARY, fresh_database, prepare_gateway, summary

from gateway.graphql.relay import to_global_id
from shared.sealing import generate_key_pair
from tests.e2e.processes import ServiceProcess, free_port, service_env
from tests.e2e.test_escautpont_story import Api
from tests.integration.test_availability_publication import PUBLISH, _entry, open_days

CONNECTIONS = 200
PER_CONNECTION = 10
SUBSCRIBE = "subscription { publications { id cursor type occurredAt data } }"


class Subscribers:
    """200 connections × 10 subscriptions; notes when each subscription read each event id."""

    def __init__(self, *, distinct: bool = False) -> None:
        self.distinct = distinct
        """Each subscription sends its own document (an alias of its own), as if all clients differed."""
        self.received: dict[str, list[float]] = {}
        self.occurred: dict[str, float] = {}  # cursor -> occurredAt (the server's clock, on this machine)
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task[None]] = []

    async def open(self, url: str, init: dict[str, Any] | None, subscribe: bool) -> None:
        async def one(n: int) -> None:
            socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
            if init is not None:
                await socket.send(json.dumps({"type": "connection_init", "payload": init}))
                assert json.loads(await socket.recv())["type"] == "connection_ack"
            if subscribe:
                for k in range(PER_CONNECTION):
                    query = SUBSCRIBE.replace("data }", f"data s{n}x{k}: id }}") if self.distinct else SUBSCRIBE
                    message = {"id": f"{n}-{k}", "type": "subscribe", "payload": {"query": query}}
                    await socket.send(json.dumps(message))
            self.sockets.append(socket)
            self.readers.append(asyncio.create_task(self._read(socket)))

        for start in range(0, CONNECTIONS, 20):  # open them in waves
            await asyncio.gather(*(one(n) for n in range(start, min(start + 20, CONNECTIONS))))

    async def _read(self, socket: Any) -> None:
        async for frame in socket:
            now = time.time()
            message = json.loads(frame)
            if message.get("type") == "next":
                publication = message["payload"]["data"]["publications"]
                event_id = publication["cursor"]
                self.occurred.setdefault(event_id, datetime.fromisoformat(publication["occurredAt"]).timestamp())
            elif "event" in message:
                event_id = message["event"]
            else:
                continue
            self.received.setdefault(event_id, []).append(now)

    async def reached_all(self, event_id: str, expected: int, seconds: float = 30.0) -> None:
        """Wait until ``event_id`` was read by ``expected`` subscriptions (TimeoutError after ``seconds``)."""
        async with asyncio.timeout(seconds):
            while len(self.received.get(event_id, [])) < expected:  # noqa: ASYNC110 - polls what the readers fill
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        for socket in self.sockets:
            await socket.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _sample_rss(pid: int, into: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(_rss_mb(pid))
        await asyncio.sleep(0.1)


PHASES = {"same_document": False, "distinct_documents": True}


async def system(stack: Any, events: int, folder: Path, phases_run: list[str] | None = None) -> dict[str, Any]:
    """Two phases on one gateway: 2,000 subscriptions sending the same document, then 2,000 distinct documents."""
    await fresh_database(stack.admin_dsn, "bench_m1_gateway")
    url = stack.sqlalchemy_url("bench_m1_gateway")
    _, public_key = generate_key_pair()
    [creche] = await prepare_gateway(url, public_key, creches=1, right="AVAILABILITY")
    extra = {"NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode()}
    gateway = ServiceProcess("gateway", service_env("GATEWAY", url, stack.kafka, f"bench{uuid.uuid4().hex[:8]}",
                             **extra), folder / "gateway.log")  # fmt: skip
    rss: list[float] = []
    stop = asyncio.Event()
    phases: dict[str, Any] = {}
    try:
        gateway.start()
        await gateway.wait_ready(report="ready")
        assert gateway.process is not None
        print(f"bench: gateway pid {gateway.process.pid}", flush=True)  # for a profiler (py-spy record -p)
        idle_rss = _rss_mb(gateway.process.pid)
        api = Api(gateway.url)
        token = await api.first_login("m.dupont.escautpont", TEMPORARY, "un banc d'essai pour la diffusion")
        sampler = asyncio.create_task(_sample_rss(gateway.process.pid, rss, stop))
        days, published = open_days(2 * (events + 1)), 0
        for phase in phases_run or list(PHASES):
            distinct = PHASES[phase]
            subscribers = Subscribers(distinct=distinct)
            opened, first_sample = time.monotonic(), len(rss)
            await subscribers.open(gateway.ws_url, {"authorization": f"Bearer {token}"}, subscribe=True)
            await gateway.wait_ready(gauge=("publication_subscribers", CONNECTIONS * PER_CONNECTION))
            open_seconds = time.monotonic() - opened
            # The first publication warms the pipeline up and is not counted; the measured ones start once it has
            # reached every subscription (on a fresh topic prefix the feed's reader waits for the topic, which the
            # first publication creates, up to 5 s: a new deployment's first minute, not the steady state).
            first = days[published : published + 1]
            warm_up = await _publish_every_second(gateway.url, token, creche, first, position=published)
            await subscribers.reached_all(warm_up[0], CONNECTIONS * PER_CONNECTION)
            cursors = warm_up + await _publish_every_second(
                gateway.url, token, creche, days[published + 1 : published + events + 1], position=published + 1
            )  # the log is fresh: the n-th publication has cursor n
            published += events + 1
            await asyncio.sleep(2.0)
            await subscribers.close()
            phases[phase] = _phase_result(subscribers, cursors[1:], events) | {
                "open_seconds": round(open_seconds, 1), "rss_max_mb": round(max(rss[first_sample:]), 1)
            }  # fmt: skip
            await asyncio.sleep(1.0)  # the closed subscriptions leave the feed
        stop.set()
        await sampler
    finally:
        gateway.stop()
    return {
        "subscriptions": CONNECTIONS * PER_CONNECTION, "connections": CONNECTIONS, "events": events,
        "rss_idle_mb": round(idle_rss, 1), "rss_max_mb": round(max(rss), 1), "phases": phases,
    }  # fmt: skip


async def _publish_every_second(url: str, token: str, creche: str, days: list[Any], position: int) -> list[str]:
    """Publish one batch of availabilities a second after log position ``position``; returns their cursors."""
    crèche, cursors = to_global_id("Establishment", creche), []
    async with httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {token}"}) as client:
        for n, day in enumerate(days):
            variables = {"id": crèche, "a": [_entry(day, n % 5)]}
            await client.post("/graphql", json={"query": PUBLISH, "variables": variables})
            position += 1
            cursors.append(str(position))
            await asyncio.sleep(1.0)
    return cursors


def _phase_result(subscribers: "Subscribers", counted: list[str], events: int) -> dict[str, Any]:
    occurred, received = subscribers.occurred, subscribers.received
    latencies = [(at - occurred[c]) * 1000 for c in counted if c in occurred for at in received[c]]
    per_event = [round((max(received[c]) - occurred[c]) * 1000, 1) for c in counted if c in occurred]
    complete = sum(1 for c in counted if len(received.get(c, [])) == CONNECTIONS * PER_CONNECTION)
    return summary(latencies) | {
        "events_received_by_all": complete,
        "events": events,
        "last_delivery_ms_per_event": per_event,
    }


async def peer(events: int) -> dict[str, Any]:
    """A bare websockets server sending each frame to 2,000 subscriptions (200 connections × 10)."""
    sockets: set[Any] = set()

    async def handler(socket: Any) -> None:
        sockets.add(socket)
        await socket.wait_closed()

    port, subscribers, sent = free_port(), Subscribers(), {}
    async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
        await subscribers.open(f"ws://127.0.0.1:{port}", None, subscribe=False)
        for n in range(events + 1):
            frame = json.dumps({"event": str(n), "data": {"availabilities": [{"places": n % 5}]}})
            sent[str(n)] = time.time()
            for socket in tuple(sockets):
                for _ in range(PER_CONNECTION):
                    await socket.send(frame)
            await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)
        await subscribers.close()
    latencies = [(at - sent[k]) * 1000 for k, times in subscribers.received.items() if k != "0" for at in times]
    return summary(latencies) | {"subscriptions": CONNECTIONS * PER_CONNECTION, "events": events}


async def main() -> int:
    parser = argparse.ArgumentParser(description="M1: 2,000 subscriptions on one gateway process (both phases, "
                                     "then the peer; results written to bench/results).")  # fmt: skip
    parser.add_argument("events", nargs="?", type=int, default=30, help="publications per phase (one a second)")
    parser.add_argument("--phase", choices=PHASES, help="run this phase only, without the peer; nothing is written "
                        "(for profiling: the gateway's pid is printed first)")  # fmt: skip
    arguments = parser.parse_args()
    stack = ensure_stack()
    folder = Path(tempfile.mkdtemp(prefix="bench-m1-"))
    if arguments.phase is not None:
        measured = await system(stack, arguments.events, folder, [arguments.phase])
        print(json.dumps(measured, indent=1))
        return 0
    measured = await system(stack, arguments.events, folder)
    floor = await peer(arguments.events)
    return write(measured, floor)


def write(measured: dict[str, Any], floor: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    phases = measured["phases"]
    checks = {
        "2000_subscriptions_on_one_process": measured["subscriptions"] >= 2000,
        "every_event_reached_every_subscription": all(
            p["events_received_by_all"] == p["events"] for p in phases.values()
        ),
        "fan_out_p99_ms<=500_same_document": phases["same_document"]["p99_ms"] <= 500,
        "fan_out_p99_ms<=500_distinct_documents": phases["distinct_documents"]["p99_ms"] <= 500,
        "rss_max_mb<=250_same_document": phases["same_document"]["rss_max_mb"] <= 250,
        "rss_max_mb<=250_distinct_documents": phases["distinct_documents"]["rss_max_mb"] <= 250,
    }
    raw = {"date": now.isoformat(), "machine": machine(), "command": "bench/run_fanout_bench.py",
           "system": measured, "peer_websockets_broadcast": floor, "checks": checks}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-fanout.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["M1"] = {
        "value": max(p["p99_ms"] for p in phases.values()),
        "unit": "ms (p99, worst phase, publication stamped → read by each of 2,000 subscriptions)",
        "same_document_p99_ms": phases["same_document"]["p99_ms"],
        "distinct_documents_p99_ms": phases["distinct_documents"]["p99_ms"],
        "rss_max_mb": measured["rss_max_mb"], "peer": floor["p99_ms"],
        "peer_name": "bare websockets server broadcasting to the same 2,000 subscriptions",
        "target": "2,000 subscriptions on one process, fan-out p99 <= 500 ms, RSS <= 250 MB",
        "met": all(checks.values()), "checks": checks, "command": raw["command"], "date": raw["date"],
        "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "fanout.md").write_text(markdown(raw))
    print(json.dumps({"system": measured, "peer": floor, "checks": checks}, indent=1))
    return 0


def markdown(raw: dict[str, Any]) -> str:
    system_, floor = raw["system"], raw["peer_websockets_broadcast"]
    rows = [
        f"| gateway, {name.replace('_', ' ')}: publication stamped → read by each subscription | {p['count']} | "
        f"{p['p50_ms']} ms | {p['p99_ms']} ms | {p['max_ms']} ms | {p['open_seconds']} s | {p['rss_max_mb']} MB |"
        for name, p in system_["phases"].items()
    ]
    return "\n".join(
        [
            "# Publication fan-out benchmark (M1)",
            "",
            f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores",
            f"- Command: `{raw['command']}`; the gateway, its clients, PostgreSQL and Kafka all on this machine",
            f"- {system_['subscriptions']} subscriptions on {system_['connections']} graphql-transport-ws "
            f"connections; one publication a second, {system_['events']} counted per phase; gateway RSS "
            f"{system_['rss_idle_mb']} MB idle, {system_['rss_max_mb']} MB at most",
            "- Phase « same document »: every subscription sends the same document; « distinct documents »: each "
            "sends its own (an alias of its own); in both, the gateway executes a publication once and projects it "
            "onto each subscription's selection",
            "",
            "| fan-out | deliveries | p50 | p99 | max | 2,000 subscribed in | RSS max |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            f"| peer: bare websockets broadcast | {floor['count']} | {floor['p50_ms']} ms | {floor['p99_ms']} ms | "
            f"{floor['max_ms']} ms | — | — |",
            "",
            "Targets: p99 ≤ 500 ms, RSS ≤ 250 MB. Checks: "
            + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in raw["checks"].items()),
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
