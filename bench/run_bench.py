"""Catalogue benchmark (quality.md P1, and P2 with --p2): the gateway side by side with PostGraphile 4 and 5.

Starts the local stack if needed, loads the national dataset once into its own database (``bench_catalogue``),
applies PostGraphile's schema (bench/postgraphile/schema.sql, served by both PostGraphile peers), starts the servers
pinned to one CPU, checks that they give the same rows, loads each with wrk from the other CPU (warm-up, then
interleaved runs; medians), stops everything and writes ``bench/results/<UTC timestamp>-catalogue.json`` (or
``-cache.json``), ``bench/results/catalogue.md`` (or ``cache.md``) and the ``P1`` (or ``P2``) and ``dataset``
entries of ``bench/results/latest.json``. Ratios are against the faster peer of each query.

P1 (default): Q1–Q3, the gateway without its response cache. P2 (``--p2``): the gateway with its response cache
(default bound), one realistic mix of Q1 and Q2 drawn by population, and a background stream of availability
publications through the gateway's API (catalogue_bench/publisher.py); the hit rate comes from its /metrics.

    .venv/bin/python bench/run_bench.py --scale 1.0            # the real thing (~15 min once loaded)
    .venv/bin/python bench/run_bench.py --p2                   # P2 (~6 min once loaded)
    .venv/bin/python bench/run_bench.py --dataset demo --duration 5 --warmup 2 --runs 1   # a quick smoke run
"""

import argparse
import asyncio
import base64
import gzip
import os
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
from catalogue_bench.params import MIX, QUERY_NAMES, bodies_path, draw_mix, draw_samples, write_bodies, write_mix
from catalogue_bench.publisher import PossibleHits, Stream, cache_counters, cache_delta, create_agents, sign_in
from catalogue_bench.report import (
    Comparison,
    Run,
    dataset_entry,
    p1_entry,
    p2_entry,
    summarise,
    update_latest,
    write_json,
)
from catalogue_bench.servers import PEER_KINDS, Server, start_gateway, start_postgraphile
from check_same_rows import CheckReport, check

from gateway import __version__ as gateway_version
from shared.sealing import generate_key_pair

_SENT: dict[tuple[str, str], int] = {}
"""P2: bodies of the mix each server has been sent so far (its warm-up and runs); its next run starts there, so no
run replays what the earlier ones sent and the hits come from the mix's own repeats, not from the harness (a fixed
stride did, once the gateway sent more per run than the stride: 3 December, 18:08)."""
SERVER_CPU = 0
LOAD_CPU = 1


@dataclass(frozen=True)
class Peers:
    gateway: Server
    others: dict[str, Server]  # "postgraphile" (4) and/or "postgraphile5"

    def by_name(self) -> dict[str, Server]:
        return {"gateway": self.gateway, **self.others}

    def stop(self) -> None:
        for server in self.by_name().values():
            server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("dataset")
    data.add_argument("--dataset", choices=["national", "demo"], default="national")
    data.add_argument("--scale", type=float, default=1.0, help="national: fraction of the ~300,000 structures")
    data.add_argument("--seed", type=int, default=59207, help="national: the loader's seed")
    data.add_argument(
        "--database",
        help="the bench database (never the tests' one): bench_catalogue, or bench_catalogue_demo for demo",
    )
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
    load.add_argument("--postgraphile5-port", type=int, default=18403)
    load.add_argument(
        "--peers", default="postgraphile,postgraphile5", help="comma-separated: postgraphile (4), postgraphile5"
    )
    p2 = parser.add_argument_group("P2 (the response cache on, a realistic mix, publications in the background)")
    p2.add_argument("--p2", action="store_true", help="measure P2 instead of P1")
    p2.add_argument(
        "--mix-samples", type=int, default=60_000,
        help="request bodies of the mix (Q1 and Q2 in turn); more than the fastest server is sent in all its runs",
    )  # fmt: skip
    p2.add_argument("--publication-rate", type=float, default=5.0, help="availability publications per second")
    p2.add_argument("--publishers", type=int, default=20, help="agents (one crèche each) publishing in turn")
    load.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk to separate CPUs")
    extra = parser.add_argument_group("extras")
    extra.add_argument("--profile", choices=QUERY_NAMES, help="after the runs, py-spy the gateway under this query")
    extra.add_argument("--profile-seconds", type=int, default=15)
    extra.add_argument("--keep-stack", action="store_true", help="leave running a stack this run had to start")
    args = parser.parse_args(argv)
    args.database = args.database or ("bench_catalogue" if args.dataset == "national" else "bench_catalogue_demo")
    args.queries = [q.strip().upper() for q in args.queries.split(",") if q.strip()]
    unknown = sorted(set(args.queries) - set(QUERY_NAMES))
    if unknown or not args.queries:
        parser.error(f"--queries: unknown {unknown}; choose among {', '.join(QUERY_NAMES)}")
    args.peers = [p.strip().lower() for p in args.peers.split(",") if p.strip()]
    if not args.peers or set(args.peers) - set(PEER_KINDS):
        parser.error(f"--peers: choose among {', '.join(PEER_KINDS)}")
    if args.p2:
        args.queries = [MIX]
        if args.profile:
            parser.error("--profile is for P1")
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
    p2: dict[str, Any] | None = None
    load_average: dict[str, list[float] | None] | None = None


def bench(args: argparse.Namespace, stack: Stack) -> Outcome:
    started = datetime.now(UTC)
    load_before = machine()["load_average"]
    wanted = Wanted(args.database, args.dataset, args.scale, args.seed, args.reload)
    dataset = asyncio.run(ensure_dataset(stack, wanted))
    asyncio.run(apply_peer_schema(stack, args.database))
    samples = asyncio.run(draw_samples(stack.dsn(args.database), args.samples, args.param_seed))
    write_bodies(samples)
    p2: dict[str, Any] | None = None
    extra: dict[str, str] = {}
    if args.p2:
        distinct = write_mix(asyncio.run(draw_mix(stack.dsn(args.database), args.mix_samples, args.param_seed)))
        _, public_key = generate_key_pair()
        extra = {
            "GATEWAY_NOTIFIER_PUBLIC_KEY": public_key,
            "GATEWAY_TOKEN_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        agents = asyncio.run(
            create_agents(
                stack.sqlalchemy_url(args.database), stack.dsn(args.database), public_key, args.publishers,
                args.param_seed,
            )
        )  # fmt: skip
        p2 = {"mix_bodies": args.mix_samples, "distinct_bodies": distinct}
    server_cpu, load_cpu = (None, None) if args.no_pin else (SERVER_CPU, LOAD_CPU)
    settings = LoadSettings(args.connections, args.threads, load_cpu)
    peers = start_peers(args, stack, server_cpu, extra)
    stream: Stream | None = None
    try:
        same_rows = check(peers.gateway.url, {name: server.url for name, server in peers.others.items()},
                          args.check_samples)  # fmt: skip
        print("\n".join(f"bench: same rows {line}" for line in same_rows.lines()), flush=True)
        if not same_rows.ok:
            raise BenchError("the peers do not give the same rows: refusing to benchmark (see the lines above)")
        if args.p2:
            base = peers.gateway.url.removesuffix("/graphql")
            signed = asyncio.run(sign_in(base, agents))
            stream = Stream(base, signed, args.publication_rate, args.param_seed)
            stream.start()
            print(f"bench: {len(signed)} agents publish {args.publication_rate:g} availabilities/s", flush=True)
        warmups, runs = measure(args, peers, settings)
        profile = profile_gateway(args, peers, settings, started) if args.profile else None
    finally:
        if stream is not None:
            stream.stop()
        peers.stop()
    if p2 is not None and stream is not None:
        p2["publications"] = stream.as_dict()
        print(f"bench: publications {p2['publications']}", flush=True)
    commands = {
        "gateway": shlex.join(peers.gateway.command),
        **{
            name: f"(cd {PEER_KINDS[name].directory.relative_to(REPO)} && " + shlex.join(server.command) + ")"
            for name, server in peers.others.items()
        },
        "wrk": "BENCH_BODIES=bench/.work/<peer>-<query>.jsonl "
        + shlex.join(command_line("<url>", args.duration, settings)),
    }
    load_average = {"before": load_before, "after": machine()["load_average"]}
    return Outcome(dataset, same_rows, runs, warmups, commands, profile, started, p2, load_average)


def start_peers(args: argparse.Namespace, stack: Stack, cpu: int | None, extra: dict[str, str]) -> Peers:
    gateway = start_gateway(stack, args.database, args.gateway_port, cpu, cache=args.p2, extra=extra)
    ports = {"postgraphile": args.postgraphile_port, "postgraphile5": args.postgraphile5_port}
    others: dict[str, Server] = {}
    try:
        for name in args.peers:
            kind = PEER_KINDS[name]
            others[name] = start_postgraphile(stack, args.database, ports[name], cpu, args.postgraphile_pool, kind)
    except BaseException:
        for server in [gateway, *others.values()]:
            server.stop()
        raise
    return Peers(gateway, others)


def measure(args: argparse.Namespace, peers: Peers, settings: LoadSettings) -> tuple[list[Run], list[Run]]:
    """Per query: every peer warmed up, then measured runs rotating which peer goes first."""
    warmups: list[Run] = []
    runs: list[Run] = []
    servers = list(peers.by_name().items())
    for query in args.queries:
        for peer, server in servers:
            warmups.append(_one_run(args, query, peer, server, 0, args.warmup, settings, "warm-up"))
        for index in range(1, args.runs + 1):
            shift = (index - 1) % len(servers)
            for peer, server in servers[shift:] + servers[:shift]:
                runs.append(_one_run(args, query, peer, server, index, args.duration, settings, f"run {index}"))
    return warmups, runs


def _one_run(
    args: argparse.Namespace,
    query: str,
    peer: str,
    server: Server,
    index: int,
    seconds: int,
    settings: LoadSettings,
    label: str,
) -> Run:
    metrics = server.url.removesuffix("/graphql") + "/metrics"
    observe = args.p2 and peer == "gateway"
    before = cache_counters(metrics) if observe else None
    offset = _SENT.get((peer, query), 0) if args.p2 else 0  # P2: run n resumes the mix where runs 0..n-1 stopped
    result = run_wrk(server.url, bodies_path(peer, query), seconds, settings, offset)
    _SENT[(peer, query)] = offset + result.requests
    if args.p2 and offset + result.requests > args.mix_samples:
        print(f"bench: WARNING {peer} {query} was sent {offset + result.requests} bodies of a mix of "
              f"{args.mix_samples}: it replayed bodies already sent (raise --mix-samples)", flush=True)  # fmt: skip
    cache = cache_delta(before, cache_counters(metrics)) if before is not None else None
    if cache is not None:
        possible = _possible_hits(peer, query)
        cache["possible_hit_rate"] = possible.sent(offset, cache["hits"] + cache["misses"], settings.threads)
    _show(query, peer, label, result, cache)
    return Run(query, peer, index, result, cache)


_POSSIBLE_HITS: dict[tuple[str, str], PossibleHits] = {}


def _possible_hits(peer: str, query: str) -> PossibleHits:
    """One per body file, for the gateway's whole run (its cache lives as long as the process)."""
    key = (peer, query)
    if key not in _POSSIBLE_HITS:
        _POSSIBLE_HITS[key] = PossibleHits(bodies_path(peer, query).read_text().splitlines())
    return _POSSIBLE_HITS[key]


def _show(query: str, peer: str, label: str, result: LoadResult, cache: dict[str, Any] | None = None) -> None:
    errors = f", {result.errors} ERRORS" if result.errors else ""
    hits = f", hit rate {cache['hit_rate']} (possible {cache['possible_hit_rate']})" if cache else ""
    print(
        f"bench: {query} {peer:<13} {label:<7} {result.throughput:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
        f"p99 {result.p99_ms:7.1f} ms{errors}{hits}",
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
    target = "P2" if args.p2 else "P1"
    raw_path = RESULTS / f"{stamp(outcome.started)}-{'cache' if args.p2 else 'catalogue'}.json"
    comparisons = summarise(outcome.runs, args.queries, args.peers)
    raw = raw_document(args, outcome, comparisons, raw_path)
    write_json(raw_path, raw)
    (RESULTS / ("cache.md" if args.p2 else "catalogue.md")).write_text(markdown.render(comparisons, outcome.runs, raw))
    update_latest({target: raw[target], "dataset": dataset_entry(raw["dataset"], _context(args, outcome, raw_path))})
    for comparison in comparisons:
        print(
            f"bench: {comparison.query} throughput ratio {comparison.throughput_ratio:.2f}x, "
            f"p99 ratio {comparison.p99_ratio:.2f}x against {comparison.faster_peer}: "
            f"{'met' if comparison.met else 'NOT met'}"
        )
    hit_rate = f" (hit rate {raw['P2']['hit_rate']})" if args.p2 else ""
    print(f"bench: {target} {'met' if raw[target]['met'] else 'NOT met'}{hit_rate}; wrote "
          f"{raw_path.relative_to(REPO)}, bench/results/{'cache' if args.p2 else 'catalogue'}.md and "
          "bench/results/latest.json")  # fmt: skip


def _context(args: argparse.Namespace, outcome: Outcome, raw_path: Path) -> dict[str, Any]:
    load = (
        f"wrk closed loop, {args.connections} connections, {args.warmup} s warm-up + {args.runs} x "
        f"{args.duration} s per query and peer, medians"
    )
    if args.p2:
        load += (
            f"; one mix of {args.mix_samples} bodies (Q1 and Q2 in turn, drawn by population), "
            f"{args.publication_rate:g} availability publications/s through the gateway's API during every run"
        )
    return {
        "peers": {name: PEER_KINDS[name].title() for name in args.peers},
        "command": command_text(),
        "date": outcome.started.isoformat(timespec="seconds"),
        "machine": {
            **{key: value for key, value in machine().items() if key in ("cpu", "cores", "memory_gb")},
            "load_average": outcome.load_average,
        },
        "raw": str(raw_path.relative_to(REPO)),
        "load": load,
    }


def raw_document(
    args: argparse.Namespace, outcome: Outcome, comparisons: list[Comparison], raw_path: Path
) -> dict[str, Any]:
    context = _context(args, outcome, raw_path)
    target = "P2" if args.p2 else "P1"
    entry = (
        p2_entry(comparisons, outcome.runs, outcome.p2 or {}, context) if args.p2 else p1_entry(comparisons, context)
    )
    return {
        "benchmark": "cache" if args.p2 else "catalogue",
        "target": target,
        "date": context["date"],
        "command": context["command"],
        "raw": context["raw"],
        "machine": {**machine(), "load_average": outcome.load_average},
        "settings": _settings(args),
        "dataset": outcome.dataset.as_dict(),
        "peers": {
            "gateway": {"version": gateway_version, "response_cache": bool(args.p2)},
            **{name: {"name": PEER_KINDS[name].title(), "version": PEER_KINDS[name].version()} for name in args.peers},
        },
        "commands": outcome.commands,
        "same_rows": outcome.same_rows.as_dict(),
        target: entry,
        "p2": outcome.p2,
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
        "peers": args.peers,
        "p2": args.p2,
        "mix_samples": args.mix_samples if args.p2 else None,
        "publication_rate": args.publication_rate if args.p2 else None,
        "publishers": args.publishers if args.p2 else None,
        "gateway_response_cache": "default bound (64 MB)" if args.p2 else "off (GATEWAY_RESPONSE_CACHE_MB=0)",
        "pinning": pinning,
        "open_loop": False,
    }


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def command_text() -> str:
    return shlex.join([".venv/bin/python", "bench/run_bench.py", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
