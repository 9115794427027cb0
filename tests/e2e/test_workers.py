"""``structures gateway --workers N``: N processes answer on one port, sharing nothing but PostgreSQL and Kafka; a
worker that dies is replaced, and SIGTERM stops them all gracefully (issue 16, item 6)."""

import asyncio
import base64
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import DatabaseFactory, Stack
from tests.e2e.processes import ServiceProcess, service_env

pytestmark = pytest.mark.e2e


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _answering(url: str, want: int, *, timeout: float = 30) -> set[int]:
    """The processes seen answering ``/readyz`` on fresh connections, once ``want`` distinct ones have answered."""
    seen: set[int] = set()
    async with asyncio.timeout(timeout):
        while len(seen) < want:
            async with httpx.AsyncClient() as client:  # a new connection each time: the kernel picks the worker
                answers = await asyncio.gather(*(client.get(f"{url}/readyz") for _ in range(8)))
            assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
            seen |= {int(answer.json()["process"]) for answer in answers}
    return seen


async def test_two_workers_answer_on_one_port_a_dead_one_is_replaced_and_sigterm_stops_all(
    stack: Stack, pg_database: DatabaseFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    env = service_env("GATEWAY", await pg_database("gateway"), stack.kafka, kafka_namespace)
    env["GATEWAY_TOKEN_SIGNING_KEY"] = base64.b64encode(os.urandom(32)).decode()
    gateway = ServiceProcess("gateway", env, tmp_path / "gateway.log", arguments=("--workers", "2"))
    gateway.start()
    try:
        await gateway.wait_ready()
        assert gateway.process is not None
        parent = gateway.process.pid
        workers = await _answering(gateway.url, 2)
        assert {_parent_of(pid) for pid in workers} == {parent}, "the workers are the supervisor's children"

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced = await _answering(gateway.url, 2)
        assert victim not in replaced
        assert len(replaced - workers) == 1, "exactly one new worker took the dead one's place"
    finally:
        status = gateway.stop()
    assert status == 0, gateway.log_tail()
    assert not [pid for pid in workers | replaced if _alive(pid)], "every worker stopped with the supervisor"
