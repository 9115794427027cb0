"""How late the event loop runs what is ready: the delay a request waits behind CPU work done on the loop.

A task asks to wake every ``interval`` seconds and records by how much it woke late. A loop kept busy by a long
synchronous step (hashing a password, building a large answer in Python) shows it at once; an idle or merely busy
loop shows a lag of a few hundred microseconds. The figures go to ``/metrics``: a histogram of every sample and the
largest lag since the previous scrape.
"""

import asyncio
import time

from prometheus_client import Histogram

from shared.metrics import ServiceMetrics

LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LoopLagMonitor:
    """Samples the running loop's lag until ``stop`` is set; see the module's docstring."""

    def __init__(self, metrics: ServiceMetrics, *, interval: float = 0.1) -> None:
        self.interval = interval
        self.largest_since_scrape = 0.0
        self._samples = Histogram(
            "structures_event_loop_lag_seconds",
            "How late the event loop woke a task asking to sleep for a fixed interval (every sample)",
            buckets=LAG_BUCKETS,
            registry=metrics.registry,
        )
        metrics.simple_gauge(
            "structures_event_loop_lag_max_seconds",
            "The largest event-loop lag since the previous scrape",
            self._take_largest,
        )

    def record(self, lag: float) -> None:
        self._samples.observe(lag)
        self.largest_since_scrape = max(self.largest_since_scrape, lag)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            asked = time.perf_counter()
            try:  # a sleep that ``stop`` ends early: a stopping service does not wait out the interval
                async with asyncio.timeout(self.interval):
                    await stop.wait()
            except TimeoutError:
                self.record(max(0.0, time.perf_counter() - asked - self.interval))

    async def _take_largest(self) -> float:
        largest, self.largest_since_scrape = self.largest_since_scrape, 0.0
        return largest
