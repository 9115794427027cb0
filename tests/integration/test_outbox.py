"""The transactional outbox on SQLite and real PostgreSQL (published to an in-memory recorder)."""

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select, text

from gateway import tables
from shared.db import SessionFactory, create_engine, create_session_factory
from shared.errors import EventContractError, TransientError
from shared.events import MAX_EVENT_BYTES, WireMessage, from_wire
from shared.outbox import OutboxRelay, OutboxSignal, add_event
from tests.conftest import DatabaseFactory
from tests.factories import make_event, make_submitted


class Recorder:
    def __init__(self, *, fail: bool = False) -> None:
        self.messages: list[WireMessage] = []
        self.fail = fail

    async def publish(self, messages: Sequence[WireMessage]) -> None:
        if self.fail:
            raise TransientError("broker down")
        self.messages.extend(messages)


@pytest.fixture
async def gateway_db(database: DatabaseFactory):  # type: ignore[no-untyped-def]
    engine = create_engine(await database("gateway"))
    yield engine, create_session_factory(engine)
    await engine.dispose()


async def test_committed_events_are_published_in_order_and_marked_sent(gateway_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions = gateway_db
    events = [make_event(make_submitted(version=v)) for v in range(1, 6)]
    async with sessions() as session, session.begin():
        for event in events:
            await add_event(session, tables.outbox, event)
    recorder = Recorder()
    relay = OutboxRelay(engine, sessions, tables.outbox, recorder, OutboxSignal())

    assert await relay.relay_once() == 5
    assert await relay.relay_once() == 0
    assert [from_wire(m.value, m.headers).id for m in recorder.messages] == [e.id for e in events]
    assert await relay.backlog() == 0


async def test_a_rolled_back_transaction_leaves_nothing_to_publish(gateway_db) -> None:  # type: ignore[no-untyped-def]
    _engine, sessions = gateway_db
    async with sessions() as session, session.begin():
        await add_event(session, tables.outbox, make_event())
        await session.rollback()

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(tables.outbox)) == 0


async def test_an_event_too_big_for_the_broker_is_refused_with_its_transaction_not_staged(gateway_db) -> None:  # type: ignore[no-untyped-def]
    _engine, sessions = gateway_db
    huge = make_submitted(establishment_name="x" * (MAX_EVENT_BYTES + 1))

    async def stage_with_a_small_one() -> None:
        async with sessions() as session, session.begin():
            await add_event(session, tables.outbox, make_event())
            await add_event(session, tables.outbox, make_event(huge))

    with pytest.raises(EventContractError, match="over the 921600-byte limit"):
        await stage_with_a_small_one()

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(tables.outbox)) == 0


async def test_events_wait_in_the_outbox_while_the_broker_is_down(gateway_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions = gateway_db
    async with sessions() as session, session.begin():
        await add_event(session, tables.outbox, make_event())
    recorder = Recorder(fail=True)
    relay = OutboxRelay(engine, sessions, tables.outbox, recorder, OutboxSignal())

    with pytest.raises(TransientError):
        await relay.relay_once()
    assert await relay.backlog() == 1

    recorder.fail = False
    assert await relay.relay_once() == 1
    assert await relay.backlog() == 0


async def test_the_committing_session_wakes_the_relay(gateway_db) -> None:  # type: ignore[no-untyped-def]
    _engine, sessions = gateway_db
    signal = OutboxSignal()
    async with sessions() as session, session.begin():
        await add_event(session, tables.outbox, make_event(), signal)
        assert not signal._event.is_set(), "not before the commit"

    assert signal._event.is_set()


async def test_a_stopped_relay_returns_at_once_not_after_its_poll(gateway_db) -> None:  # type: ignore[no-untyped-def]
    """A service stops without waiting out its relay's poll (every in-process test's teardown paid it)."""
    engine, sessions = gateway_db
    stop, polled = asyncio.Event(), asyncio.Event()
    relay = OutboxRelay(engine, sessions, tables.outbox, Recorder(), OutboxSignal(), poll_seconds=3600)
    relay_once = relay.relay_once

    async def relay_and_say() -> int:
        sent = await relay_once()
        polled.set()
        return sent

    relay.relay_once = relay_and_say  # type: ignore[method-assign]
    running = asyncio.create_task(relay.run(stop))
    await polled.wait()  # the relay found nothing and now waits for a signal or its poll
    stop.set()

    async with asyncio.timeout(10):  # a guard against hanging for the hour, not a measure
        await running


async def test_the_relay_listens_again_after_losing_its_postgresql_connection(pg_database: DatabaseFactory) -> None:
    """After a PostgreSQL restart, NOTIFY from another process must wake the relay again, not only the poll."""
    engine = create_engine(await pg_database("gateway"))
    sessions = create_session_factory(engine)
    recorder, stop, signal = Recorder(), asyncio.Event(), OutboxSignal()
    relay = OutboxRelay(engine, sessions, tables.outbox, recorder, signal, poll_seconds=60)
    running = asyncio.create_task(relay.run(stop))
    try:
        await _notified_event_is_published(sessions, recorder, expected=1)
        async with sessions() as session, session.begin():  # the server drops the relay's LISTEN connection
            dropped = await session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        assert dropped == 1
        await _notified_event_is_published(sessions, recorder, expected=2)
    finally:
        stop.set()
        signal.set()
        await running
        await engine.dispose()


async def _notified_event_is_published(sessions: SessionFactory, recorder: Recorder, expected: int) -> None:
    """Stage an event as another process would (NOTIFY, no in-process signal); the relay must publish it at once."""
    async with asyncio.timeout(5):
        async with sessions() as session, session.begin():
            await add_event(session, tables.outbox, make_event())
        while len(recorder.messages) < expected:
            await asyncio.sleep(0.05)
