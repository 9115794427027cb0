"""Catalogue benchmark (quality.md P1): the gateway side by side with PostGraphile 4 on Q1–Q3.

Starts the local stack if needed, loads the national dataset once into its own database (``bench_catalogue``),
applies PostGraphile's schema (bench/postgraphile/schema.sql), starts both servers pinned to one CPU, checks that
they give the same rows, loads each with wrk from the other CPU (warm-up, then interleaved runs; medians), stops
everything and writes ``bench/results/<UTC timestamp>-catalogue.json``, ``bench/results/catalogue.md`` and the
``P1`` and ``dataset`` entries of ``bench/results/latest.json``.

    .venv/bin/python bench/run_bench.py --scale 1.0            # the real thing (~10 min once loaded)
    .venv/bin/python bench/run_bench.py --dataset demo --duration 5 --warmup 2 --runs 1   # a quick smoke run
"""

import argparse
import asyncio
import gzip
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalogue_bench import markdown, profiling
from catalogue_bench.database import Dataset, Wanted, apply_peer_schema, ensure_dataset
from catalogue_bench.environment import (
    REPO,
    RESULTS,
    WORK,
    BenchError,
    Stack,
    ensure_stack,
    machine,
    stop_stack,
)
from catalogue_bench.load import LoadResult, LoadSettings, command_line, require_wrk, run_wrk
from catalogue_bench.params import QUERY_NAMES, bodies_path, draw_samples, write_bodies
from catalogue_bench.report import Comparison, Run, dataset_entry, p1_entry, summarise, update_latest, write_json
from catalogue_bench.servers import Server, postgraphile_version, start_gateway, start_postgraphile
from check_same_rows import CheckReport, check

from gateway import __version__ as gateway_version

SERVER_CPU = 0
LOAD_CPU = 1


@dataclass(frozen=True)
class Peers:
    gateway: Server
    postgraphile: Server

    def by_name(self) -> dict[str, Server]:
        return {"gateway": self.gateway, "postgraphile": self.postgraphile}

    def stop(self) -> None:
        for server in (self.gateway, self.postgraphile):
            server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("dataset")
    data.add_argument("--dataset", choices=["national", "demo"], default="national")
    data.add_argument("--scale", type=float, default=1.0, help="national: fraction of the ~300,000 structures")
    data.add_argument("--seed", type=int, default=59207, help="national: the loader's seed")
    data.add_argument("--database", default="bench_catalogue", help="the bench database (never the tests' one)")
    data.add_argument("--reload", action="store_true", help="drop and reload the bench database")
    load = parser.add_argument_group("load")
    load.add_argument("--queries", default=",".join(QUERY_NAMES), help="comma-separated subset of Q1,Q2,Q3")
    load.add_argument("--connections", type=int, default=16)
    load.add_argument("--threads", type=int, default=1, help="wrk threads (its CPU is one core)")
    load.add_argument("--warmup", type=int, default=10, help="seconds of warm-up per query and peer")
    load.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    load.add_argument("--runs", type=int, default=3, help="measured runs per query and peer")
    load.add_argument("--samples", type=int, default=2000, help="request bodies per query")
    load.add_argument("--param-seed", type=int, default=20_251_127, help="seed of the drawn parameters")
    load.add_argument("--check-samples", type=int, default=25, help="parameter sets compared per query")
    load.add_argument("--postgraphile-pool", type=int, default=16, help="PostGraphile's PostgreSQL pool size")
    load.add_argument("--gateway-port", type=int, default=18401)
    load.add_argument("--postgraphile-port", type=int, default=18402)
    load.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk to separate CPUs")
    extra = parser.add_argument_group("extras")
    extra.add_argument("--profile", choices=QUERY_NAMES, help="after the runs, py-spy the gateway under this query")
    extra.add_argument("--profile-seconds", type=int, default=15)
    extra.add_argument("--keep-stack", action="store_true", help="leave running a stack this run had to start")
    args = parser.parse_args(argv)
    args.queries = [q.strip().upper() for q in args.queries.split(",") if q.strip()]
    unknown = sorted(set(args.queries) - set(QUERY_NAMES))
    if unknown or not args.queries:
        parser.error(f"--queries: unknown {unknown}; choose among {', '.join(QUERY_NAMES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        require_wrk()
        stack = ensure_stack()
        try:
            outcome = bench(args, stack)
        finally:
            if stack.started_here and not args.keep_stack:
                print("bench: stopping the stack this run started", flush=True)
                stop_stack()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    write_outputs(args, outcome)
    return 0


@dataclass(frozen=True)
class Outcome:
    dataset: Dataset
    same_rows: CheckReport
    runs: list[Run]
    warmups: list[Run]
    commands: dict[str, str]
    profile: dict[str, Any] | None
    started: datetime


def bench(args: argparse.Namespace, stack: Stack) -> Outcome:
    started = datetime.now(UTC)
    wanted = Wanted(args.database, args.dataset, args.scale, args.seed, args.reload)
    dataset = asyncio.run(ensure_dataset(stack, wanted))
    asyncio.run(apply_peer_schema(stack, args.database))
    samples = asyncio.run(draw_samples(stack.dsn(args.database), args.samples, args.param_seed))
    write_bodies(samples)
    server_cpu, load_cpu = (None, None) if args.no_pin else (SERVER_CPU, LOAD_CPU)
    settings = LoadSettings(args.connections, args.threads, load_cpu)
    peers = start_peers(args, stack, server_cpu)
    try:
        same_rows = check(peers.gateway.url, peers.postgraphile.url, args.check_samples)
        print("\n".join(f"bench: same rows {line}" for line in same_rows.lines()), flush=True)
        if not same_rows.ok:
            raise BenchError("the peers do not give the same rows: refusing to benchmark (see the lines above)")
        warmups, runs = measure(args, peers, settings)
        profile = profile_gateway(args, peers, settings, started) if args.profile else None
    finally:
        peers.stop()
    commands = {
        "gateway": shlex.join(peers.gateway.command),
        "postgraphile": "(cd bench/postgraphile && " + shlex.join(peers.postgraphile.command) + ")",
        "wrk": "BENCH_BODIES=bench/.work/<peer>-<query>.jsonl "
        + shlex.join(command_line("<url>", args.duration, settings)),
    }
    return Outcome(dataset, same_rows, runs, warmups, commands, profile, started)


def start_peers(args: argparse.Namespace, stack: Stack, cpu: int | None) -> Peers:
    gateway = start_gateway(stack, args.database, args.gateway_port, cpu)
    try:
        postgraphile = start_postgraphile(stack, args.database, args.postgraphile_port, cpu, args.postgraphile_pool)
    except BaseException:
        gateway.stop()
        raise
    return Peers(gateway, postgraphile)


def measure(args: argparse.Namespace, peers: Peers, settings: LoadSettings) -> tuple[list[Run], list[Run]]:
    """Per query: both peers warmed up, then measured runs alternating which peer goes first."""
    warmups: list[Run] = []
    runs: list[Run] = []
    servers = peers.by_name()
    for query in args.queries:
        for peer, server in servers.items():
            result = run_wrk(server.url, bodies_path(peer, query), args.warmup, settings)
            warmups.append(Run(query, peer, 0, result))
            _show(query, peer, "warm-up", result)
        for index in range(1, args.runs + 1):
            order = list(servers.items()) if index % 2 else list(reversed(servers.items()))
            for peer, server in order:
                result = run_wrk(server.url, bodies_path(peer, query), args.duration, settings)
                runs.append(Run(query, peer, index, result))
                _show(query, peer, f"run {index}", result)
    return warmups, runs


def _show(query: str, peer: str, label: str, result: LoadResult) -> None:
    errors = f", {result.errors} ERRORS" if result.errors else ""
    print(
        f"bench: {query} {peer:<12} {label:<7} {result.throughput:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
        f"p99 {result.p99_ms:7.1f} ms{errors}",
        flush=True,
    )


def profile_gateway(
    args: argparse.Namespace, peers: Peers, settings: LoadSettings, started: datetime
) -> dict[str, Any]:
    query = args.profile
    output = WORK / f"gateway-{query.lower()}-py-spy.txt"
    recording = profiling.start_recording(peers.gateway.pid, args.profile_seconds, output)
    result = run_wrk(peers.gateway.url, bodies_path("gateway", query), args.profile_seconds + 2, settings)
    found = profiling.finish_recording(recording, output)
    _show(query, "gateway", "py-spy", result)
    kept = RESULTS / f"{stamp(started)}-gateway-{query.lower()}-py-spy.txt.gz"
    RESULTS.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(gzip.compress(output.read_bytes()))
    return {**found.as_dict(query, str(kept.relative_to(REPO))), "load_while_profiling": result.as_dict()}


def write_outputs(args: argparse.Namespace, outcome: Outcome) -> None:
    raw_path = RESULTS / f"{stamp(outcome.started)}-catalogue.json"
    comparisons = summarise(outcome.runs, args.queries)
    raw = raw_document(args, outcome, comparisons, raw_path)
    write_json(raw_path, raw)
    (RESULTS / "catalogue.md").write_text(markdown.render(comparisons, outcome.runs, raw))
    update_latest({"P1": raw["P1"], "dataset": dataset_entry(raw["dataset"], _context(args, outcome, raw_path))})
    for comparison in comparisons:
        print(
            f"bench: {comparison.query} throughput ratio {comparison.throughput_ratio:.2f}x, "
            f"p99 ratio {comparison.p99_ratio:.2f}x: {'met' if comparison.met else 'NOT met'}"
        )
    print(f"bench: P1 {'met' if raw['P1']['met'] else 'NOT met'}; wrote {raw_path.relative_to(REPO)}, "
          "bench/results/catalogue.md and bench/results/latest.json")  # fmt: skip


def _context(args: argparse.Namespace, outcome: Outcome, raw_path: Path) -> dict[str, Any]:
    return {
        "peer": f"PostGraphile {postgraphile_version()}",
        "command": command_text(),
        "date": outcome.started.isoformat(timespec="seconds"),
        "machine": {key: value for key, value in machine().items() if key in ("cpu", "cores", "memory_gb")},
        "raw": str(raw_path.relative_to(REPO)),
        "load": (
            f"wrk closed loop, {args.connections} connections, {args.warmup} s warm-up + {args.runs} x "
            f"{args.duration} s per query and peer, medians"
        ),
    }


def raw_document(
    args: argparse.Namespace, outcome: Outcome, comparisons: list[Comparison], raw_path: Path
) -> dict[str, Any]:
    context = _context(args, outcome, raw_path)
    return {
        "benchmark": "catalogue",
        "target": "P1",
        "date": context["date"],
        "command": context["command"],
        "raw": context["raw"],
        "machine": machine(),
        "settings": _settings(args),
        "dataset": outcome.dataset.as_dict(),
        "peers": {
            "gateway": {"version": gateway_version, "response_cache": False},
            "postgraphile": {"name": context["peer"], "version": postgraphile_version()},
        },
        "commands": outcome.commands,
        "same_rows": outcome.same_rows.as_dict(),
        "P1": p1_entry(comparisons, context),
        "warmups": [run.as_dict() for run in outcome.warmups],
        "runs": [run.as_dict() for run in outcome.runs],
        "profile": outcome.profile,
    }


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    pinning = (
        "none" if args.no_pin else f"servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU} (taskset); PostgreSQL unpinned"
    )
    return {
        "queries": args.queries,
        "connections": args.connections,
        "threads": args.threads,
        "warmup_seconds": args.warmup,
        "run_seconds": args.duration,
        "runs": args.runs,
        "samples": args.samples,
        "param_seed": args.param_seed,
        "check_samples": args.check_samples,
        "postgraphile_pool": args.postgraphile_pool,
        "pinning": pinning,
        "open_loop": False,
    }


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def command_text() -> str:
    return shlex.join([".venv/bin/python", "bench/run_bench.py", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
