"""P2's background publications: how many the publishing transaction lets through while the event loop is busy.

    .venv/bin/python bench/run_publication_lock_bench.py            # ~1 min; prints, writes nothing

Every publication takes the next cursor (``publication_counter``, locked until commit; see
:mod:`gateway.publications.log`), so each statement sent after the cursor waits for a turn of the publishing
process's event loop while the others wait for the lock. Under P2's read load a turn takes tens of milliseconds: with
the cursor five statements before COMMIT the gateway passed ~3 publications/s (3 Dec: 514 of 1,243 refused when the
pool ran dry). Here 100 publications, 16 at a time on a pool of 16, with a task blocking the loop for 0, 5 and 20 ms
each turn (a stand-in for the read load), on a fresh database of the local stack. Compare runs of one invocation.

3 Dec, load average ~8: 0 / 5 / 20 ms blocked → 54 / 24 / 11 publications/s with the cursor one statement before
COMMIT, 51 / 9 / 3.4 with the five statements before it had.
"""

import asyncio
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import ensure_stack

from gateway.publications.log import record_publication
from shared.db import create_engine, create_session_factory, upgrade_database
from shared.events import AvailabilitiesPublished, PublicPlace, PublishedAvailability

DATABASE = "bench_publication_lock"
MIGRATIONS = Path(__file__).resolve().parents[1] / "gateway" / "migrations"
PLACE = PublicPlace(departement="59", commune_insee="59217", category="EAJE")


def published() -> AvailabilitiesPublished:
    day = date(2026, 12, 14)
    offer = PublishedAvailability(date=day, slot="JOURNEE", places=2, care_kind="OCCASIONNEL")
    return AvailabilitiesPublished(
        establishment_id=uuid.uuid4(), place=PLACE, dates=[day], availabilities=[offer], published_at=datetime.now(UTC)
    )


async def busy_loop(blocked_ms: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        until = time.perf_counter() + blocked_ms / 1000
        while time.perf_counter() < until:  # the loop kept busy, as the read load's JSON and GraphQL work does
            pass
        await asyncio.sleep(0)


async def rate(url: str, count: int, concurrency: int, blocked_ms: float) -> float:
    engine = create_engine(url, pool_size=concurrency)
    sessions, gate, stop = create_session_factory(engine), asyncio.Semaphore(concurrency), asyncio.Event()

    async def publish() -> None:
        async with gate, sessions() as session, session.begin():
            await record_publication(session, published(), source="/bench", signal=None)

    busy = [asyncio.create_task(busy_loop(blocked_ms, stop))] if blocked_ms else []
    started = time.monotonic()
    try:
        await asyncio.gather(*(publish() for _ in range(count)))
        return count / (time.monotonic() - started)
    finally:
        stop.set()
        await asyncio.gather(*busy)
        await engine.dispose()


async def main() -> None:
    stack = ensure_stack()
    admin = await asyncpg.connect(stack.admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        url = stack.sqlalchemy_url(DATABASE)
        await upgrade_database(MIGRATIONS, url)
        for blocked_ms in (0, 5, 20):
            rates = [await rate(url, 100, 16, blocked_ms) for _ in range(2)]
            print(f"loop blocked {blocked_ms:>2} ms a turn: {' / '.join(f'{r:.1f}' for r in rates)} publications/s")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
