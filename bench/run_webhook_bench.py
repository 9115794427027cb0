"""W1 of the quality targets: 50 publications/s to 20 webhook endpoints, a kill -9 of the dispatcher midway.

    .venv/bin/python bench/run_webhook_bench.py [--seconds 300] [--rate 50] [--dispatchers 1] [--no-record]

* the system: the webhook dispatcher as a process (``structures webhooks``) on the running stack's PostgreSQL, a
  fresh gateway database (migrated). 20 endpoints of two integrators (10 each, the maximum), each a loopback
  HTTP server of this script that verifies every request with ``standardwebhooks.Webhook(secret).verify``: 18
  healthy, one answering 500 (retried on the schedule, never delivered here) and one answering after 2 s (its 4
  request slots stay busy).
  Open loop: ``rate`` publications per second, each recorded in the publication log by the gateway's own
  publishing code (``record_publication``, one transaction each, as the gateway's publishing use cases do); the
  dispatcher is killed with SIGKILL at half time and restarted at once (lease 5 s instead of 30 s, so what it held
  is sent again within the run).
* measured, for the 18 healthy endpoints: delivery latency = first receipt by the endpoint − the publishing
  transaction's commit; lost = (endpoint, publication) pairs never received once everything has drained (up to 60
  s after the last publication; ``drain_complete`` false means the backlog was still being delivered, so « lost »
  then counts the undelivered backlog, not proven losses); doubled = webhook-ids received more than once
  (allowed: at-least-once, the kill makes some). « A failing endpoint slows no other »: the healthy endpoints'
  p99 is the figure, measured with the 500 and the slow endpoint in the same run.

Writes ``bench/results/<timestamp>-webhooks.json`` and the key ``W1`` of ``latest.json`` (not with --no-record:
then only stdout). The stack must be running (``structures stack up``); this script never starts or stops it.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, machine, read_stack_env
from run_submission_bench import fresh_database

from gateway.catalogue.tables import cafs
from gateway.integrators.tables import integrators
from gateway.publications.feed import PublicationFilter
from gateway.publications.log import record_publication
from gateway.webhooks import services
from gateway.webhooks.policy import UrlPolicy
from shared.db import create_engine, create_session_factory, upgrade_database
from shared.events import OperatingInfoWithdrawn, PublicPlace
from shared.sealing import generate_key_pair
from tests.e2e.processes import ROOT, ServiceProcess
from tests.webhook_receiver import WebhookReceiver

ENDPOINTS = 20
SLOW_SECONDS = 2.0
DRAIN_SECONDS = 60.0
WINDOW_SECONDS = 10
"""p99 per window of publications (by commit time), to see where the tail is (the kill is at half time)."""
DATABASE = "bench_w1_gateway"


async def loopback(_host: str) -> list[str]:
    return ["127.0.0.1"]


def cpu_of(process: ServiceProcess) -> float:
    """User + system CPU seconds of a running service process so far (Linux /proc)."""
    assert process.process is not None
    fields = Path(f"/proc/{process.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def prepare(url: str, public_key: str, receivers: list[WebhookReceiver]) -> None:
    await upgrade_database(ROOT / "gateway" / "migrations", url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    config = services.WebhookConfig(public_key, UrlPolicy(allow_loopback=True), resolver=loopback)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        await session.execute(cafs.insert().values(code="CAF59", label="Caf du Nord"))
        for n, receiver in enumerate(receivers):  # two integrators: 10 endpoints each at most
            integrator = f"bench-{n // services.MAX_ENDPOINTS}"
            if n % services.MAX_ENDPOINTS == 0:
                await session.execute(
                    integrators.insert().values(
                        id=integrator, name="Banc W1", contact_email="w1@bench.example", caf_code="CAF59",
                        departements=["59"], created_by="bench", created_at=now,
                    )
                )  # fmt: skip
            registered = await services.register_endpoint(
                session, config, integrator_id=integrator, url=receiver.url, wanted=PublicationFilter(), now=now
            )
            assert not isinstance(registered, list), registered
            receiver.secret = registered[1]
    await engine.dispose()


async def publish(url: str, seconds: float, rate: float, committed: dict[str, float]) -> int:
    """Open loop: ``rate`` publications per second; notes each one's commit time by event id."""
    engine = create_engine(url, pool_size=10)
    sessions = create_session_factory(engine)
    connections = asyncio.Semaphore(10)  # publications wait for each other (the cursor's row lock) beyond that

    async def one(n: int) -> None:
        place = PublicPlace(departement="59", commune_insee="59207", category="EAJE")
        data = OperatingInfoWithdrawn(establishment_id=uuid.uuid4(), place=place, version=n + 1,
                                      withdrawn_at=datetime.now(UTC))  # fmt: skip
        async with connections, sessions() as session, session.begin():
            event = await record_publication(session, data, source="bench", signal=None)
        committed[event.id] = time.time()

    tasks, started = [], time.monotonic()
    for n in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    await engine.dispose()
    print(f"published {len(tasks)} in {time.monotonic() - started:.1f} s", flush=True)
    return len(tasks)


async def drained(healthy: list[WebhookReceiver], expected: int) -> None:
    async with asyncio.timeout(DRAIN_SECONDS):
        while any(len({r.webhook_id for r in receiver.received}) < expected for receiver in healthy):  # noqa: ASYNC110 - polls counters the receivers fill
            await asyncio.sleep(0.2)


def measure(healthy: list[WebhookReceiver], committed: dict[str, float]) -> dict[str, Any]:
    latencies, lost, doubled = [], 0, 0
    per_endpoint_p99 = []
    start = min(committed.values(), default=0.0)
    windows: dict[int, list[float]] = {}
    for receiver in healthy:
        first: dict[str, float] = {}
        for received in receiver.received:
            first.setdefault(received.body["data"]["id"], received.at)
        endpoint = [(first[event] - at) * 1000 for event, at in committed.items() if event in first]
        for event, at in committed.items():
            if event in first:
                windows.setdefault(int((at - start) // WINDOW_SECONDS), []).append((first[event] - at) * 1000)
        lost += sum(1 for event in committed if event not in first)
        doubled += sum(n - 1 for n in Counter(r.webhook_id for r in receiver.received).values() if n > 1)
        latencies += endpoint
        per_endpoint_p99.append(round(percentile(endpoint, 0.99), 1))
    return {
        "deliveries": len(latencies), "lost": lost, "doubled": doubled,
        "p50_ms": round(percentile(latencies, 0.50), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "worst_endpoint_p99_ms": max(per_endpoint_p99, default=None),
        "p99_ms_by_window": [round(percentile(windows[w], 0.99), 1) for w in sorted(windows)],
    }  # fmt: skip


async def run(seconds: float, rate: float, dispatchers: int, folder: Path) -> dict[str, Any]:
    values = read_stack_env()
    admin_dsn = values["STACK_POSTGRES_DSN"]
    await fresh_database(admin_dsn, DATABASE)
    url = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{DATABASE}"
    private, public = generate_key_pair()
    receivers = [WebhookReceiver() for _ in range(ENDPOINTS - 2)]
    failing, slow = WebhookReceiver(status=500), WebhookReceiver(delay=SLOW_SECONDS)
    for receiver in (*receivers, failing, slow):
        await receiver.start()
    await prepare(url, public, [*receivers, failing, slow])
    env = {
        "GATEWAY_DATABASE_URL": url, "GATEWAY_WEBHOOK_SEALING_KEY": private, "GATEWAY_WEBHOOK_ALLOW_LOOPBACK": "true",
        "GATEWAY_WEBHOOK_LEASE_SECONDS": "5", "GATEWAY_MIGRATE_ON_START": "false", "GATEWAY_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    processes = [ServiceProcess("webhooks", env, folder / f"webhooks-{n}.log") for n in range(dispatchers)]
    committed: dict[str, float] = {}
    try:
        for process in processes:
            process.start()
        publishing = asyncio.create_task(publish(url, seconds, rate, committed))
        await asyncio.sleep(seconds / 2)
        cpu_at_kill = sum(cpu_of(process) for process in processes[1:])
        processes[0].kill()  # the others, if any, go on
        killed_at = len(committed)
        delivered_at_kill = sum(len(r.received) for r in receivers)
        processes[0].start()
        published = await publishing
        drain_complete = True
        try:
            await drained(receivers, published)
        except TimeoutError:  # the backlog was not delivered within DRAIN_SECONDS: « lost » cannot be told apart
            drain_complete = False
        cpu_seconds = sum(cpu_of(process) for process in processes) - cpu_at_kill  # the second half's
        delivered_after_kill = sum(len(r.received) for r in receivers) - delivered_at_kill
    finally:
        for process in processes:
            try:
                process.stop()
            except subprocess.TimeoutExpired:
                print(f"the dispatcher did not stop within 30 s of SIGTERM:\n{process.log_tail()}", flush=True)
                raise
        for receiver in (*receivers, failing, slow):
            await receiver.stop()
    return measure(receivers, committed) | {
        "drain_complete": drain_complete, "published": published, "published_at_kill": killed_at,
        "seconds": seconds, "rate_per_s": rate, "endpoints": ENDPOINTS, "dispatchers": dispatchers,
        "failing_endpoint_attempts": len(failing.attempts), "slow_endpoint_delivered": len(slow.received),
        "dispatcher_cpu_ms_per_delivery": round(1000 * cpu_seconds / max(1, delivered_after_kill), 3),
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes (the first is killed)")
    parser.add_argument("--no-record", action="store_true", help="print only; write nothing under bench/results")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        measured = asyncio.run(run(args.seconds, args.rate, args.dispatchers, Path(folder)))
    now = datetime.now(UTC)
    checks = {
        "p99_le_1s": measured["p99_ms"] <= 1000, "none_lost": measured["drain_complete"] and measured["lost"] == 0
    }  # fmt: skip
    raw = {"date": now.isoformat(), "machine": machine(), "load_average_before": load_before,
           "command": f"bench/run_webhook_bench.py --seconds {args.seconds:g} --rate {args.rate:g} "
           f"--dispatchers {args.dispatchers}",
           "system": measured, "checks": checks}  # fmt: skip
    print(json.dumps(raw, indent=1))
    if args.no_record:
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-webhooks.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["W1"] = {
        "value": measured["p99_ms"], "unit": "ms (delivery p99, healthy endpoints)", "lost": measured["lost"],
        "doubled": measured["doubled"], "target": "p99 <= 1 s at 50 publications/s to 20 endpoints for 5 min, none "
        "lost across a kill -9 of the dispatcher, a failing endpoint slows no other",
        "met": all(checks.values()) and args.seconds >= 300, "checks": checks, "command": raw["command"],
        "date": raw["date"], "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
