"""The transactional outbox on SQLite and real PostgreSQL (published to an in-memory recorder)."""

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from gateway import tables
from shared.db import create_engine, create_session_factory
from shared.errors import TransientError
from shared.events import WireMessage, from_wire
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
