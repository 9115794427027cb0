"""The idempotent processor on SQLite and real PostgreSQL (dead letters collected by an in-memory publisher)."""

from collections.abc import Sequence

import pytest
from sqlalchemy import Table, exc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import tables
from moderation.handlers import HANDLERS, handle_operating_info_submitted
from shared.consumer import Delivery, EventProcessor, Outcome, RetryPolicy
from shared.db import SessionFactory, create_engine, create_session_factory
from shared.events import Envelope, WireMessage, to_wire
from tests.conftest import DatabaseFactory
from tests.factories import make_event

FAST = RetryPolicy(first_delay=0.01, max_delay=0.02, max_unexpected_failures=3)


class CollectedDeadLetters:
    def __init__(self) -> None:
        self.messages: list[WireMessage] = []

    async def publish(self, messages: Sequence[WireMessage]) -> None:
        self.messages.extend(messages)


async def _count(sessions: SessionFactory, table: Table) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def moderation_db(database: DatabaseFactory):  # type: ignore[no-untyped-def]
    engine = create_engine(await database("moderation"))
    yield create_session_factory(engine)
    await engine.dispose()


async def test_a_redelivered_event_has_no_second_effect(moderation_db) -> None:  # type: ignore[no-untyped-def]
    processor = EventProcessor(moderation_db, tables.processed_events, HANDLERS, CollectedDeadLetters(), retry=FAST)
    delivery = Delivery(to_wire(make_event()))

    outcomes = [await processor.process(delivery), await processor.process(delivery)]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert await _count(moderation_db, tables.review_items) == 1
    assert await _count(moderation_db, tables.processed_events) == 1


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_next_one_applied(moderation_db) -> None:  # type: ignore[no-untyped-def]
    dead = CollectedDeadLetters()
    processor = EventProcessor(moderation_db, tables.processed_events, HANDLERS, dead, retry=FAST)
    good = to_wire(make_event())
    poison = WireMessage(topic=good.topic, key=good.key, value=b'{"submission_id": 12}', headers=good.headers)

    first = await processor.process(Delivery(poison, partition=2, offset=41))
    second = await processor.process(Delivery(good, partition=2, offset=42))

    assert (first, second) == (Outcome.DEAD_LETTERED, Outcome.APPLIED)
    [letter] = dead.messages
    assert letter.topic == "structures.operating-info.submitted.v1.dlq"
    assert letter.value == poison.value
    assert "submission_id" in (letter.header("dlq_reason") or "")
    assert letter.header("dlq_source_offset") == "41"
    assert await _count(moderation_db, tables.review_items) == 1


async def test_transient_failures_are_retried_until_the_event_applies_once(moderation_db) -> None:  # type: ignore[no-untyped-def]
    pool_busy = exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached, connection timed out")
    # More pool timeouts than unexpected failures are tolerated: a busy pool is transient (found by the soak).
    failures = iter(
        [exc.OperationalError("SELECT 1", {}, OSError("connection reset")), TimeoutError(), *[pool_busy] * 4]
    )

    async def flaky(session: AsyncSession, event: Envelope) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        await handle_operating_info_submitted(session, event)

    event = make_event()
    processor = EventProcessor(
        moderation_db, tables.processed_events, {event.type: flaky}, CollectedDeadLetters(), retry=FAST
    )

    assert await processor.process(Delivery(to_wire(event))) == Outcome.APPLIED
    assert await _count(moderation_db, tables.review_items) == 1


async def test_a_handler_that_keeps_failing_dead_letters_the_event_without_partial_effects(moderation_db) -> None:  # type: ignore[no-untyped-def]
    async def broken(session: AsyncSession, event: Envelope) -> None:
        await handle_operating_info_submitted(session, event)
        raise ValueError("bug after the insert")

    event = make_event()
    dead = CollectedDeadLetters()
    processor = EventProcessor(moderation_db, tables.processed_events, {event.type: broken}, dead, retry=FAST)

    assert await processor.process(Delivery(to_wire(event))) == Outcome.DEAD_LETTERED
    assert "ValueError: bug after the insert" in (dead.messages[0].header("dlq_reason") or "")
    assert await _count(moderation_db, tables.review_items) == 0
    assert await _count(moderation_db, tables.processed_events) == 0


async def test_values_the_database_refuses_are_dead_lettered_at_once_without_the_statement(moderation_db) -> None:  # type: ignore[no-untyped-def]
    attempts = 0

    async def too_long(session: AsyncSession, event: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        await handle_operating_info_submitted(session, event)
        refusal = Exception("value too long for type character varying(3)\nDETAIL: the row")
        raise exc.DataError("INSERT INTO review_items (departement) VALUES ($1)", ("Pas-de-Calais",), refusal)

    event = make_event()
    dead = CollectedDeadLetters()
    processor = EventProcessor(moderation_db, tables.processed_events, {event.type: too_long}, dead, retry=FAST)

    assert await processor.process(Delivery(to_wire(event))) == Outcome.DEAD_LETTERED
    assert attempts == 1
    reason = dead.messages[0].header("dlq_reason") or ""
    assert reason == "PermanentError: the database refused a value: value too long for type character varying(3)"
    assert await _count(moderation_db, tables.review_items) == 0
