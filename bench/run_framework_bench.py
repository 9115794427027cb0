"""P4 of the quality targets: the gateway reaches ≥ 90 % of a bare graphql-core-on-Starlette app running the same SQL.

    .venv/bin/python bench/run_framework_bench.py        # needs the national dataset (`make bench` once); ~3 min

Both on the normal path of Q2 (establishments of a commune, 50 per page): the gateway with
``GATEWAY_COMPILED_READS=false`` and ``GATEWAY_RESPONSE_CACHE_MB=0`` (``structures gateway``, production settings,
one process on CPU 0); the peer (``bench/framework_peer/app.py``: an SDL schema, resolvers running the gateway's two
statements through asyncpg, one uvicorn process on CPU 0). Same database ``bench_catalogue`` (not reloaded), same
request bodies (the gateway's Q2 document, communes drawn by population, seed 7), same-rows check on 25 bodies
(answers must be equal), then wrk as bench/run_bench.py does (CPU 1, 16 connections, closed loop): 10 s warm-up
each, 3 runs of 20 s per peer alternating, medians.

Writes ``bench/results/<timestamp>-framework.json`` and ``framework.md``, and the key ``P4`` of ``latest.json``.
"""

import asyncio
import json
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import REPO, RESULTS, BenchError, ensure_stack, machine, pinned
from catalogue_bench.load import LoadSettings, require_wrk, run_wrk
from catalogue_bench.params import bodies_path, draw_samples, read_bodies, write_bodies
from catalogue_bench.servers import Server, _spawn, _wait_ready, start_gateway

DATABASE = "bench_catalogue"
GATEWAY_PORT, PEER_PORT = 18441, 18442
WARMUP, DURATION, RUNS = 10, 20, 3
LOAD = LoadSettings(connections=16, threads=1, cpu=1)


def start_peer(dsn: str) -> Server:
    env = {**os.environ, "BENCH_PEER_DSN": dsn}
    command = pinned([sys.executable, "-m", "uvicorn", "bench.framework_peer.app:app", "--port", str(PEER_PORT),
                      "--log-level", "warning", "--no-access-log"], 0)  # fmt: skip
    server = _spawn("framework-peer", f"http://127.0.0.1:{PEER_PORT}/graphql", command, env, REPO)
    probe = {"query": "{ establishments(first: 1) { totalCount } }"}
    _wait_ready(server, lambda client: client.post(server.url, json=probe).status_code == 200)
    return server


def same_rows(bodies: list[dict[str, Any]], urls: dict[str, str]) -> dict[str, Any]:
    differing = []
    with httpx.Client(timeout=30) as client:
        for body in bodies[:25]:
            answers = {name: client.post(url, json=body).json() for name, url in urls.items()}
            if answers["gateway"] != answers["peer"] or "errors" in answers["gateway"]:
                differing.append(body["variables"])
    return {"checked": min(25, len(bodies)), "differing": differing}


def main() -> int:
    require_wrk()
    stack = ensure_stack()
    dsn = stack.dsn(DATABASE)
    samples = asyncio.run(draw_samples(dsn, 200, 7))
    write_bodies({"Q2": samples["Q2"]})
    bodies_file = bodies_path("gateway", "Q2")
    bodies = read_bodies("gateway", "Q2")
    os.environ["GATEWAY_COMPILED_READS"] = "false"  # the normal path; start_gateway already turns the cache off
    gateway = start_gateway(stack, DATABASE, GATEWAY_PORT, cpu=0)
    peer = start_peer(dsn)
    servers = {"gateway": gateway, "peer": peer}
    urls = {name: server.url for name, server in servers.items()}
    runs: dict[str, list[dict[str, Any]]] = {"gateway": [], "peer": []}
    try:
        check = same_rows(bodies, urls)
        if check["differing"]:
            raise BenchError(f"the peers' answers differ: {check['differing'][:3]}")
        for name in ("gateway", "peer"):
            run_wrk(urls[name], bodies_file, WARMUP, LOAD)
        for run in range(RUNS):
            order = ("gateway", "peer") if run % 2 == 0 else ("peer", "gateway")
            for name in order:
                before = cpu_seconds(servers[name].pid)
                result = run_wrk(urls[name], bodies_file, DURATION, LOAD).as_dict()
                spent = cpu_seconds(servers[name].pid) - before
                result["cpu_ms_per_request"] = round(1000 * spent / max(result["requests"], 1), 2)
                print(
                    f"bench: {name} run {run + 1}: {result['throughput']:.1f} req/s, p99 {result['p99_ms']} ms, "
                    f"{result['cpu_ms_per_request']} ms of CPU per request"
                )
                runs[name].append(result)
    finally:
        gateway.stop()
        peer.stop()
    return write(check, runs)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used: per request, a figure other work on the machine disturbs less
    than throughput (both servers are CPU-bound on one core)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write(check: dict[str, Any], runs: dict[str, list[dict[str, Any]]]) -> int:
    now = datetime.now(UTC)
    med = {
        name: {
            key: round(statistics.median(r[key] for r in done), 1)
            for key in ("throughput", "p50_ms", "p99_ms", "cpu_ms_per_request")
        }
        for name, done in runs.items()
    }
    errors = sum(r["socket_errors"] + r["bad_status"] + r["graphql_errors"] for done in runs.values() for r in done)
    ratio = round(med["gateway"]["throughput"] / med["peer"]["throughput"], 3)
    cpu_ratio = round(med["peer"]["cpu_ms_per_request"] / med["gateway"]["cpu_ms_per_request"], 3)
    met = ratio >= 0.9 and errors == 0
    raw = {
        "date": now.isoformat(), "machine": machine(), "command": "bench/run_framework_bench.py",
        "settings": {"warmup_s": WARMUP, "duration_s": DURATION, "runs": RUNS, "connections": LOAD.connections,
                     "gateway_env": {"GATEWAY_COMPILED_READS": "false", "GATEWAY_RESPONSE_CACHE_MB": "0"}},
        "same_rows": check, "runs": runs, "medians": med, "errors": errors, "ratio": ratio, "cpu_ratio": cpu_ratio,
        "met": met,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-framework.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["P4"] = {
        "value": med["gateway"]["throughput"], "peer_value": med["peer"]["throughput"], "unit": "req/s (Q2)",
        "ratio": ratio, "peer": "graphql-core 3 on Starlette (uvicorn), the gateway's SQL through asyncpg",
        "target": "gateway >= 0.9 x the bare peer's throughput (normal path: compiled reads and cache off)",
        "met": met, "errors": errors, "command": raw["command"], "date": raw["date"], "machine": raw["machine"],
        "load_average": raw["load_average"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "framework.md").write_text(
        "\n".join([
            "# Framework overhead (P4)",
            "",
            f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores; load average "
            f"at the end {raw['load_average']} (the machine is shared with other work)",
            "- Q2 on the normal path; both servers one process on CPU 0, wrk on CPU 1, 16 connections; "
            f"{RUNS} × {DURATION} s, medians; same rows on {check['checked']} bodies",
            "",
            "| server | req/s | p50 | p99 | CPU per request |",
            "|---|---:|---:|---:|---:|",
            *(
                f"| {n} | {m['throughput']} | {m['p50_ms']} ms | {m['p99_ms']} ms | {m['cpu_ms_per_request']} ms |"
                for n, m in med.items()
            ),
            "",
            f"Ratio gateway / peer: {ratio} (target ≥ 0.9), errors {errors} — met: {met}.",
            f"CPU ratio (peer's CPU per request / the gateway's): {cpu_ratio}, the same comparison less disturbed by "
            "other work on the machine.",
            "",
        ])
    )  # fmt: skip
    print(json.dumps({"medians": med, "ratio": ratio, "cpu_ratio": cpu_ratio, "met": met}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
