"""Running the services as real processes from the ``structures`` command, as an operator would."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServiceProcess:
    """One service started with ``python -m structures <name>`` and the given environment."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    arguments: tuple[str, ...] = ()
    """Given after the service's name (e.g. ``("--workers", "2")``)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
        env |= self.env | {f"{self.name.upper()}_PORT": str(self.port), f"{self.name.upper()}_LOG_FORMAT": "json"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "structures", self.name, *self.arguments],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    async def wait_ready(
        self,
        timeout: float = 60.0,
        *,
        status: int = 200,
        report: str | None = None,
        gauge: tuple[str, int] | None = None,
    ) -> dict[str, object]:
        """Poll /readyz until it answers ``status`` (and, if given, a ``report`` such as "ready", not "degraded",
        and a ``gauge`` of the report at least at the given value)."""
        async with httpx.AsyncClient() as client, asyncio.timeout(timeout):
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    response = await client.get(f"{self.url}/readyz")
                    body: dict[str, object] = response.json()
                    reached = gauge is None or int(body.get(gauge[0], 0)) >= gauge[1]  # type: ignore[call-overload]
                    if response.status_code == status and report in (None, body.get("status")) and reached:
                        return body
                except (httpx.TransportError, ValueError):  # not listening yet, or not JSON yet
                    pass
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (a crash)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM and wait: the graceful shutdown."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def service_env(prefix: str, database_url: str, kafka: str, namespace: str, **extra: str) -> dict[str, str]:
    """The environment of one service on the test stack: its database, the broker, its topics and group."""
    values = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OUTBOX_POLL_SECONDS": "0.2",
        "CONSUMER_GROUP": f"{namespace}-{prefix.lower()}",
    }
    return {f"{prefix}_{key}": value for key, value in (values | extra).items()}
