"""The event-loop lag monitor sees a loop held by synchronous work, and reports the largest lag once per scrape."""

import asyncio
import time

from shared.loop_lag import LoopLagMonitor
from shared.metrics import ServiceMetrics


def _value(exposition: bytes, name: str) -> float:
    [line] = [line for line in exposition.decode().splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])


async def test_a_loop_held_by_synchronous_work_shows_in_the_lag() -> None:
    metrics = ServiceMetrics("gateway")
    monitor = LoopLagMonitor(metrics, interval=0.01)
    stop = asyncio.Event()
    sampling = asyncio.create_task(monitor.run(stop))
    await asyncio.sleep(0.05)  # a few samples of a free loop
    time.sleep(0.3)  # noqa: ASYNC251, TID251 - the point: work that holds the loop
    await asyncio.sleep(0.05)
    stop.set()
    await sampling

    exposition = await metrics.exposition()
    # The sample that spanned the blocking call woke at least 0.3 s - 0.01 s late (a busier machine only adds).
    assert _value(exposition, "structures_event_loop_lag_max_seconds") >= 0.29
    assert _value(exposition, "structures_event_loop_lag_seconds_count") >= 3
    assert _value(exposition, 'structures_event_loop_lag_seconds_bucket{le="0.25"}') < _value(
        exposition, "structures_event_loop_lag_seconds_count"
    )
    # The largest lag is the largest since the previous scrape: a scrape resets it.
    assert _value(await metrics.exposition(), "structures_event_loop_lag_max_seconds") == 0.0


def test_lags_are_recorded_as_given() -> None:
    monitor = LoopLagMonitor(ServiceMetrics("moderation"))
    for lag in (0.002, 0.04, 0.001):
        monitor.record(lag)
    assert monitor.largest_since_scrape == 0.04


async def test_a_stopped_monitor_returns_at_once_not_after_its_interval() -> None:
    monitor = LoopLagMonitor(ServiceMetrics("notifier"), interval=3600)
    stop = asyncio.Event()
    sampling = asyncio.create_task(monitor.run(stop))
    await asyncio.sleep(0)  # the monitor starts its first interval
    stop.set()

    async with asyncio.timeout(10):  # a guard against hanging for the hour, not a measure
        await sampling
    assert monitor.largest_since_scrape == 0.0, "an interval cut short is no sample"
