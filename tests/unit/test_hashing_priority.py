"""The argon2 pool's threads yield the CPU to the event loop's thread (H1: loop lag during a login storm)."""

import asyncio
import os
import sys
import threading

import pytest

from gateway.accounts.hashing import PasswordHashing

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")


async def test_hashing_threads_run_at_a_lower_priority_than_the_loop() -> None:
    hashing = PasswordHashing(workers=1, memory_kib=8, time_cost=1)
    try:
        loop_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        def niceness() -> int:
            return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        worker_niceness = await asyncio.get_running_loop().run_in_executor(hashing._pool, niceness)
        assert worker_niceness == min(19, loop_niceness + 10)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_niceness
        assert await hashing.verify(await hashing.hash("un mot de passe"), "un mot de passe")
    finally:
        hashing.close()
