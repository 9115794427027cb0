"""The publication log on SQLite and real PostgreSQL: gapless cursors in commit order, and a short lock."""

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, select

from gateway import tables
from gateway.publications.log import record_publication
from gateway.publications.tables import publication_log
from shared.db import create_engine, create_session_factory
from shared.events import AvailabilitiesPublished, PublicPlace, PublishedAvailability, from_wire
from tests.conftest import DatabaseFactory

PLACE = PublicPlace(departement="59", commune_insee="59217", category="EAJE")


def make_availabilities_published() -> AvailabilitiesPublished:
    day = date(2026, 12, 14)
    offer = PublishedAvailability(date=day, slot="JOURNEE", places=2, care_kind="OCCASIONNEL")
    return AvailabilitiesPublished(
        establishment_id=uuid.uuid4(), place=PLACE, dates=[day], availabilities=[offer], published_at=datetime.now(UTC)
    )


async def test_concurrent_publications_get_gapless_cursors_and_their_events_carry_them(
    database: DatabaseFactory,
) -> None:
    engine = create_engine(await database("gateway"))
    sessions = create_session_factory(engine)

    async def publish() -> str:
        async with sessions() as session, session.begin():
            published = await record_publication(session, make_availabilities_published(), source="/t", signal=None)
        return published.id

    try:
        ids = await asyncio.gather(*(publish() for _ in range(5)))
        async with sessions() as session:
            logged = (await session.execute(select(publication_log.c.position, publication_log.c.event_id))).all()
            staged = (await session.execute(select(tables.outbox.c.payload, tables.outbox.c.headers))).all()
    finally:
        await engine.dispose()
    assert sorted(position for position, _ in logged) == list(range(1, 6))
    assert {event_id for _, event_id in logged} == set(ids)
    events = [from_wire(payload, [(name, value.encode()) for name, value in headers]) for payload, headers in staged]
    cursors = {staged_event.id: staged_event.sequence for staged_event in events}
    assert cursors == {event_id: str(position) for position, event_id in logged}


async def test_once_a_publication_takes_its_cursor_its_commit_comes_next(
    pg_database: DatabaseFactory,
) -> None:
    """The cursor locks the counter until commit, and every statement meanwhile waits for a turn of the event loop:
    under load publications queued behind the lock held the pool's connections until it ran dry (P2)."""
    engine = create_engine(await pg_database("gateway"))
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await record_publication(session, make_availabilities_published(), source="/t", signal=None)
    finally:
        await engine.dispose()
    locking = next(n for n, statement in enumerate(sent) if "publication_counter" in statement)
    assert sent[locking + 1 :] == []
