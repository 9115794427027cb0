"""Refresh-ahead: the hottest answers a publication dropped are computed again in the background, so the next
request for them hits. Bounded: a few at a time, a bounded queue (what does not fit is simply not refreshed)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from gateway.response_cache.store import Entry, Replay

log = logging.getLogger(__name__)

Recompute = Callable[[Replay], Awaitable[None]]


class Refresher:
    def __init__(
        self, recompute: Recompute, *, concurrency: int = 2, queue_size: int = 256, per_event: int = 32
    ) -> None:
        self._recompute = recompute
        self._concurrency = concurrency
        self._per_event = per_event
        self._queue: asyncio.Queue[Entry] = asyncio.Queue(queue_size)
        self._pending: set[str] = set()
        self.refreshed = 0
        self.failed = 0

    def offer(self, dropped: Iterable[Entry]) -> None:
        """Queue the hottest of ``dropped`` (hottest first; an entry never asked for since stored is not hot)."""
        for entry in list(dropped)[: self._per_event]:
            if entry.hits == 0 or entry.key in self._pending or entry.replay is None:
                continue
            try:
                self._queue.put_nowait(entry)
            except asyncio.QueueFull:
                return
            self._pending.add(entry.key)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh until ``stop`` is set."""
        workers = [asyncio.create_task(self._work()) for _ in range(self._concurrency)]
        try:
            await stop.wait()
        finally:
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    async def idle(self) -> None:
        """Wait until everything queued is refreshed (tests)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            entry = await self._queue.get()
            try:
                assert entry.replay is not None, "only entries with their request are queued"
                await self._recompute(entry.replay)
                self.refreshed += 1
            except Exception as error:  # loop boundary: the next request computes it
                self.failed += 1
                log.warning("response cache refresh failed", extra={"error": repr(error)}, exc_info=True)
            finally:
                self._pending.discard(entry.key)
                self._queue.task_done()
