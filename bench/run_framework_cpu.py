"""P4's in-process companion: CPU per Q2 request of the gateway's normal path and of the bare peer, in one process.

    STACK_DIR=… .venv/bin/python bench/run_framework_cpu.py [--requests 400] [--rounds 3] [--profile gateway]

Both ASGI apps (``gateway.app.create_app`` with the normal path — compiled reads and response cache off — and
``bench/framework_peer/app.py``) run in this process against the stack's ``bench_catalogue``, driven straight through
ASGI (no HTTP client, no socket) on uvloop, the garbage collector tuned as each server tunes it,
with the Q2 bodies ``run_framework_bench.py`` writes, 8 requests in flight. Rounds
alternate gateway / peer; each reports ``time.process_time()`` per request. CPU time is far less disturbed by other
work on the machine than wrk's throughput, so it compares changes; the verdict stays ``run_framework_bench.py``'s.
Background work of the process (the gateway's Kafka reader, its relay) is counted in both servers' figures alike.
``--profile gateway`` writes a cProfile of the gateway's rounds to ``bench/.work/framework-cpu.prof``.
"""

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalogue_bench.environment import WORK, read_stack_env
from catalogue_bench.params import read_bodies

from shared.server import GC_THRESHOLDS, run

DATABASE = "bench_catalogue"
IN_FLIGHT = 8
ASGIApp = Any  # Starlette apps, driven by hand


async def post(app: ASGIApp, body: bytes) -> bytes:
    """One POST /graphql through ``app``; its response body (a non-200 answer stops the run)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/graphql", "raw_path": b"/graphql", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    sent = False
    chunks: list[bytes] = []
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    if status != 200:
        raise SystemExit(f"status {status}: {b''.join(chunks)[:300]!r}")
    return b"".join(chunks)


async def drive(app: ASGIApp, bodies: list[bytes], count: int, label: str) -> float:
    """CPU seconds per request over ``count`` requests, ``IN_FLIGHT`` at a time."""
    cycle = itertools.cycle(bodies)
    queue = [next(cycle) for _ in range(count)]

    async def worker() -> None:
        while queue:
            await post(app, queue.pop())

    gc.set_threshold(*THRESHOLDS[label])
    start, collected = time.process_time(), dict(COLLECTIONS)
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    spent = time.process_time() - start
    if os.environ.get("BENCH_GC"):
        passes = {g: COLLECTIONS[g][0] - collected[g][0] for g in COLLECTIONS}
        ms = {g: round(1000 * (COLLECTIONS[g][1] - collected[g][1]) / count, 3) for g in COLLECTIONS}
        print(f"{label}: collections by generation {passes}, their CPU ms per request {ms}")
    return spent / count


THRESHOLDS = {"gateway": GC_THRESHOLDS, "peer": (700, 10, 10)}
"""The gateway's once started; the peer's the interpreter's defaults."""
COLLECTIONS: dict[int, tuple[int, float]] = {0: (0, 0.0), 1: (0, 0.0), 2: (0, 0.0)}
_gc_started = [0.0]


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.process_time()
    else:
        count, spent = COLLECTIONS[info["generation"]]
        COLLECTIONS[info["generation"]] = (count + 1, spent + time.process_time() - _gc_started[0])


gc.callbacks.append(_time_collections)


async def census(app: ASGIApp, bodies: list[bytes]) -> None:
    import collections

    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    await drive(app, bodies, 50, "gateway")
    gc.collect()
    kinds = collections.Counter(type(o).__qualname__ + ":" + getattr(type(o), "__module__", "") for o in gc.garbage)
    print(len(gc.garbage) / 50, "per request")
    for kind, n in kinds.most_common(40):
        print(n / 50, kind)
    gc.set_debug(0)
    gc.garbage.clear()
    gc.collect()
    before = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    await drive(app, bodies, 200, "gateway")
    gc.collect()
    after = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    after.subtract(before)
    print("alive after 200 more requests:", sum(after.values()) / 200, "per request")
    for kind, n in after.most_common(15):
        print(n / 200, kind)


def gateway_app(dsn: str, kafka: str) -> ASGIApp:
    os.environ.update({
        "GATEWAY_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
        "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": kafka, "GATEWAY_KAFKA_TOPIC_NAMESPACE": "bench",
        "GATEWAY_LOG_LEVEL": "WARNING", "GATEWAY_ENVIRONMENT": "production",
        "GATEWAY_RESPONSE_CACHE_MB": "0", "GATEWAY_COMPILED_READS": "false",
    })  # fmt: skip
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    return create_app(GatewaySettings())


async def main(arguments: argparse.Namespace) -> None:
    stack_env = read_stack_env()  # the running stack only: this bench never starts one
    dsn = stack_env["STACK_POSTGRES_DSN"].rsplit("/", 1)[0] + f"/{DATABASE}"
    os.environ["BENCH_PEER_DSN"] = dsn
    from framework_peer.app import app as peer

    gateway = gateway_app(dsn, stack_env["GATEWAY_KAFKA_BOOTSTRAP_SERVERS"])
    bodies = [json.dumps(body).encode() for body in read_bodies("gateway", "Q2")]
    apps: dict[str, Any] = {"gateway": gateway, "peer": peer}
    async with contextlib.AsyncExitStack() as stack_of_apps:
        for app in apps.values():
            await stack_of_apps.enter_async_context(app.router.lifespan_context(app))
        # What start-up allocated stays out of the collector's way, as in `structures gateway` (shared/server.py)
        # and as in the peer's own small process; each server then runs with its collector's thresholds.
        gc.collect()
        gc.freeze()
        for body in bodies[:25]:
            answers = {name: json.loads(await post(app, body)) for name, app in apps.items()}
            if answers["gateway"] != answers["peer"]:
                raise SystemExit(f"the answers differ for {body[-60:]!r}")
        for name, app in apps.items():
            await drive(app, bodies, arguments.requests // 2, name)
        if os.environ.get("BENCH_GARBAGE"):
            await census(apps[os.environ["BENCH_GARBAGE"]], bodies)
            return
        figures: dict[str, list[float]] = {"gateway": [], "peer": []}
        profile = cProfile.Profile() if arguments.profile else None
        for round_ in range(arguments.rounds):
            for name in ("gateway", "peer") if round_ % 2 == 0 else ("peer", "gateway"):
                profiling = profile is not None and name == arguments.profile
                if profiling:
                    profile.enable()  # type: ignore[union-attr]
                figures[name].append(1000 * await drive(apps[name], bodies, arguments.requests, name))
                if profiling:
                    profile.disable()  # type: ignore[union-attr]
        if profile is not None:
            profile.dump_stats(WORK / "framework-cpu.prof")
    medians = {name: statistics.median(values) for name, values in figures.items()}
    lows = {name: min(values) for name, values in figures.items()}
    for name, values in figures.items():
        print(f"{name}: CPU ms per request {[round(v, 2) for v in values]}, median {medians[name]:.2f}")
    print(f"CPU ratio (peer / gateway): median {medians['peer'] / medians['gateway']:.3f}, "
          f"best rounds {lows['peer'] / lows['gateway']:.3f}; load average {os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=("gateway", "peer"))
    run(main(parser.parse_args()))  # uvloop, as the servers run
