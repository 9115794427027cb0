"""S1–S3 timings (issue 12, item 6): each GraphQL bomb is refused before execution, in under 50 ms, on all three
services. The tests prove the property (no resolver runs); this script measures how long the refusal takes.

    .venv/bin/python bench/run_graphql_limits_bench.py [requests]     # default 200 per bomb and service

* the system: each service's Starlette app in this process (lifespan running, SQLite, in-process bus), called
  through httpx's ASGI transport, so the figure is the service's own work (JSON body, parsing, validation,
  answer) without a network, logging configured as the services do. The bombs are the tests' ones: 3,000
  aliases, a 10,000-token document, a document 20 levels deep (the gateway's schema only: the others do not
  nest), and a document over the cost limit;
* the floor, in the same run: ``{ __typename }`` on the same app.

Writes ``bench/results/<timestamp>-graphql-limits.json`` and ``graphql-limits.md``, and the key ``S3`` of
``latest.json``.
"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, machine

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.logging import configure_logging
from tests.integration.test_graphql_protection_services import COSTLY
from tests.service_apps import create_service_app as create_service

TARGET_MS = 50.0
BOMBS: dict[str, str] = {
    "floor: { __typename }": "{ __typename }",
    "3,000 aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(3_000)) + " }",
    "10,000 tokens": "{ " + " ".join("__typename" for _ in range(9_998)) + " }",
}
DEEP = "{ " + "establishments { edges { node { " * 7 + "name" + " } } }" * 7 + " }"
GATEWAY_PAGE = "establishments(first: 100) { edges { node { name phone email website capacity provider { name } } } }"
GATEWAY_COSTLY = "{ " + " ".join(f"e{i}: {GATEWAY_PAGE}" for i in range(30)) + " }"


def _apps(folder: Path) -> dict[str, Starlette]:
    gateway = GatewaySettings(database_url=f"sqlite+aiosqlite:///{folder / 'gateway.sqlite3'}", bus="inprocess")
    return {
        "gateway": create_gateway(gateway, bus=InProcessBus()),
        "moderation": create_service("moderation", folder, {"bus": "inprocess"}),
        "notifier": create_service("notifier", folder, {"bus": "inprocess"}),
    }


def _bombs(service: str) -> dict[str, str]:
    extra = {"20 levels deep": DEEP, "over the cost limit": GATEWAY_COSTLY} if service == "gateway" else {}
    return {**BOMBS, **extra, **({"over the cost limit": COSTLY[service]} if service in COSTLY else {})}


@asynccontextmanager
async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        yield client


async def _measure(client: httpx.AsyncClient, document: str, requests: int) -> dict[str, Any]:
    timings, refused = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        body = (await client.post("/graphql", json={"query": document})).json()
        timings.append((time.perf_counter() - started) * 1000)
        refused += body.get("data") is None and bool(body.get("errors"))
    timings.sort()
    return {
        "requests": requests,
        "refused": refused,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "first_error": body.get("errors", [{}])[0].get("message", "")[:100],
    }


async def run(requests: int) -> dict[str, dict[str, Any]]:
    measured: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for service, app in _apps(Path(folder)).items():
            async with _client(app) as client:
                measured[service] = {
                    name: await _measure(client, doc, requests) for name, doc in _bombs(service).items()
                }
    return measured


def write(measured: dict[str, dict[str, Any]]) -> int:
    now = datetime.now(UTC)
    bombs = [
        (s, name, m) for s, by_bomb in measured.items() for name, m in by_bomb.items() if not name.startswith("floor")
    ]
    checks = {
        "every_bomb_refused": all(m["refused"] == m["requests"] for _, _, m in bombs),
        f"every_bomb_p50_ms<{TARGET_MS:g}": all(m["p50_ms"] < TARGET_MS for _, _, m in bombs),
    }
    raw = {
        "date": now.isoformat(),
        "machine": machine(),
        "command": "bench/run_graphql_limits_bench.py",
        "measured": measured,
        "checks": checks,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-graphql-limits.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["S3"] = {
        "value": max(m["p50_ms"] for _, _, m in bombs),
        "unit": "ms (p50, slowest bomb on any service)",
        "p95_ms": max(m["p95_ms"] for _, _, m in bombs),
        "target": f"every bomb (aliases, tokens, depth, cost) refused before execution in < {TARGET_MS:g} ms",
        "met": all(checks.values()),
        "checks": checks,
        "command": raw["command"],
        "date": raw["date"],
        "machine": raw["machine"],
    }
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "graphql-limits.md").write_text(markdown(raw))
    print(json.dumps({"measured": measured, "checks": checks}, indent=1))
    return 0 if all(checks.values()) else 1


def markdown(raw: dict[str, Any]) -> str:
    rows = [
        f"| {service} | {name} | {m['refused']}/{m['requests']} | {m['p50_ms']} ms | {m['p95_ms']} ms "
        f"| {m['max_ms']} ms |"
        for service, by_bomb in raw["measured"].items()
        for name, m in by_bomb.items()
    ]
    return "\n".join(
        [
            "# GraphQL bombs refused before execution (S1–S3, issue 12 item 6)",
            "",
            f"`{raw['command']}`, {raw['date']}, {raw['machine']['cores']} cores ({raw['machine']['cpu']}). In-process "
            "(httpx ASGI transport, SQLite): the service's own work, no network.",
            "",
            "| service | document | refused | p50 | p95 | max |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Checks: {json.dumps(raw['checks'])}",
            "",
        ]
    )


if __name__ == "__main__":
    configure_logging("WARNING")  # as the services run: strawberry's echo of every refused document is off
    sys.exit(write(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200))))
