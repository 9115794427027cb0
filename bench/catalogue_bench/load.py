"""Load with wrk (Debian): closed loop, a fixed number of connections, request bodies from a file (bench/wrk)."""

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from catalogue_bench.environment import BENCH, BenchError, pinned

LUA_SCRIPT = BENCH / "wrk" / "bodies.lua"
RESULT_PREFIX = "RESULT "
REQUEST_TIMEOUT = "10s"


@dataclass(frozen=True)
class LoadSettings:
    connections: int
    threads: int
    cpu: int | None


@dataclass(frozen=True)
class LoadResult:
    """One wrk run, latencies in milliseconds."""

    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    socket_errors: int
    bad_status: int
    graphql_errors: int

    @property
    def errors(self) -> int:
        return self.socket_errors + self.bad_status + self.graphql_errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: apt-get install -y wrk (Debian)")


def command_line(url: str, seconds: int, settings: LoadSettings) -> list[str]:
    wrk = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        f"--timeout={REQUEST_TIMEOUT}",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    return pinned(wrk, settings.cpu)


def run_wrk(url: str, bodies: Path, seconds: int, settings: LoadSettings, offset: int = 0) -> LoadResult:
    """One wrk run; ``offset``: the line of ``bodies`` it starts from (every peer's run *n* starts at the same)."""
    command = command_line(url, seconds, settings)
    env = {**os.environ, "BENCH_BODIES": str(bodies), "BENCH_OFFSET": str(offset)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse(done.stdout)


def parse(output: str) -> LoadResult:
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise BenchError(f"wrk printed no result line:\n{output}")
    raw = json.loads(lines[-1][len(RESULT_PREFIX) :])
    latency, sockets = raw["latency_us"], raw["socket_errors"]
    seconds = raw["duration_us"] / 1e6
    return LoadResult(
        requests=raw["requests"],
        seconds=round(seconds, 3),
        throughput=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        mean_ms=round(latency["mean"] / 1000, 3),
        socket_errors=sum(sockets.values()),
        bad_status=raw["bad_status"],
        graphql_errors=raw["graphql_errors"],
    )
