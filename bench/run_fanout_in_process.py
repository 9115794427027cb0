"""M1's fan-out without the network, PostgreSQL or Kafka: the gateway's schema, its feed and N subscriptions in this
process, so that the cost of delivering a publication can be compared between two versions of the code on a busy
machine (CPU time moves much less than latency with the load).

    .venv/bin/python bench/run_fanout_in_process.py                      # 2,000 distinct documents, 10 publications
    .venv/bin/python bench/run_fanout_in_process.py --same --events 20

For each publication: the wall time until every subscription has its answer, the process's CPU time, the garbage
collector's time and passes, RSS. The collector is set up as ``shared.server`` sets up a server (start-up objects
frozen, its thresholds). Nothing is written; the real measurement is ``bench/run_fanout_bench.py``.
"""

import argparse
import asyncio
import gc
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gateway.graphql.subscriptions as subscriptions
from gateway.graphql.context import Context
from gateway.graphql.schema import build_schema
from gateway.publications.feed import Publication, PublicationFeed
from shared.events import OperatingInfoPublished, PublicPlace, new_event
from shared.server import GC_THRESHOLDS

SUBSCRIBE = "subscription { publications { id cursor type occurredAt data } }"


class _Collector:
    """The garbage collector's CPU time and passes per generation since :meth:`reset`."""

    def __init__(self) -> None:
        self.seconds, self.passes, self._started = 0.0, [0, 0, 0], 0.0
        gc.callbacks.append(self._note)

    def reset(self) -> None:
        self.seconds, self.passes = 0.0, [0, 0, 0]

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.passes[info["generation"]] += 1


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _publication(position: int) -> Publication:
    data = OperatingInfoPublished(
        establishment_id=uuid.uuid4(), place=PublicPlace(departement="59", commune_insee="59207", category="EAJE"),
        version=position, opening_hours="Mo-Fr 08:00-18:00", published_at=datetime.now(UTC),
    )  # fmt: skip
    publication = Publication.of(new_event(data, source="/bench").model_copy(update={"sequence": str(position)}))
    assert publication is not None
    return publication


async def _anyone(_context: object, **_options: object) -> None:
    return None


async def fan_out(subscriptions_count: int, distinct: bool, events: int) -> None:
    subscriptions.require_reader = _anyone  # type: ignore[attr-defined,assignment]  # no database: all may read
    schema, feed = build_schema(), PublicationFeed(buffer_size=events + 1)
    feed.start_at(1)
    context = Context(sessions=None, loaders=None, today=None, request_id="bench", feed=feed)  # type: ignore[arg-type]
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    collector, rss, started, cpu = _Collector(), _rss_mb(), time.perf_counter(), time.process_time()
    streams: list[Any] = []
    for n in range(subscriptions_count):
        document = SUBSCRIBE.replace("data }", f"data s{n}: id }}") if distinct else SUBSCRIBE
        streams.append(await schema.subscribe(document, context_value=context))
    pending = [asyncio.ensure_future(anext(stream)) for stream in streams]
    while feed.subscribers < subscriptions_count:  # noqa: ASYNC110 - the feed has no « subscribed » event
        await asyncio.sleep(0.01)
    print(f"{subscriptions_count} {'distinct' if distinct else 'same'} documents subscribed in "
          f"{time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU); "
          f"RSS {rss:.0f} → {_rss_mb():.0f} MB", flush=True)  # fmt: skip
    for position in range(1, events + 1):
        collector.reset()
        started, cpu = time.perf_counter(), time.process_time()
        feed.deliver([_publication(position)])
        answers = await asyncio.gather(*pending)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert all(answer.errors is None for answer in answers), answers[0].errors
        pending = [asyncio.ensure_future(anext(stream)) for stream in streams]
        collected = f"collector {collector.seconds * 1000:.0f} ms, passes {collector.passes}"
        print(f"publication {position}: all answered in {wall * 1000:.0f} ms, {cpu * 1000:.0f} ms CPU ({collected}), "
              f"RSS {_rss_mb():.0f} MB", flush=True)  # fmt: skip
    for task in pending:
        task.cancel()
    for stream in streams:
        await stream.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description="M1's fan-out in one process, without the network.")
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--events", type=int, default=10, help="publications delivered, one after the other")
    parser.add_argument("--same", action="store_true", help="every subscription sends the same document")
    arguments = parser.parse_args()
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    asyncio.run(fan_out(arguments.subscriptions, not arguments.same, arguments.events))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
