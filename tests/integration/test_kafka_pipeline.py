"""Real PostgreSQL and real Kafka: gateway outbox → relay → Kafka → moderation consumer group → review queue."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from sqlalchemy import func, select

from gateway import tables as gateway_tables
from moderation import tables as moderation_tables
from moderation.handlers import HANDLERS
from shared.consumer import EventProcessor
from shared.db import SessionFactory, create_session_factory
from shared.events import Topic, dead_letter_topic, physical_topic, to_wire
from shared.kafka import KafkaBroadcastReader, KafkaConsumerLoop, KafkaPublisher, topic_wait_seconds
from shared.outbox import OutboxRelay, OutboxSignal, add_event
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.factories import make_event, make_submitted
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.integration


async def _review_items(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(moderation_tables.review_items)) or 0)


async def _wait_for(sessions: SessionFactory, expected: int, timeout: float = 60) -> int:
    async with asyncio.timeout(timeout):
        while await _review_items(sessions) < expected:
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything extra would show up now
    return await _review_items(sessions)


@contextlib.asynccontextmanager
async def running(*loops: Any) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop.run(stop)) for loop in loops]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.gather(*tasks)


@pytest.fixture
async def pipeline(stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str):  # type: ignore[no-untyped-def]
    gateway = engines(await pg_database("gateway"))
    moderation = engines(await pg_database("moderation"))
    gateway_sessions, moderation_sessions = create_session_factory(gateway), create_session_factory(moderation)
    publisher = KafkaPublisher(stack.kafka, namespace=kafka_namespace)
    signal = OutboxSignal()
    relay = OutboxRelay(gateway, gateway_sessions, gateway_tables.outbox, publisher, signal, poll_seconds=0.2)
    processor = EventProcessor(moderation_sessions, moderation_tables.processed_events, HANDLERS, publisher)
    consumer = KafkaConsumerLoop(
        processor,
        bootstrap_servers=stack.kafka,
        group_id=f"{kafka_namespace}-moderation",
        topics=[Topic.OPERATING_INFO_SUBMITTED.value],
        namespace=kafka_namespace,
    )
    yield gateway_sessions, moderation_sessions, signal, relay, consumer, publisher
    await publisher.close()


async def test_submissions_flow_from_the_gateway_outbox_to_the_review_queue_exactly_once(pipeline) -> None:  # type: ignore[no-untyped-def]
    gateway_sessions, moderation_sessions, signal, relay, consumer, _publisher = pipeline
    async with running(relay, consumer):
        for _batch in range(5):
            async with gateway_sessions() as session, session.begin():
                for version in range(1, 11):
                    await add_event(session, gateway_tables.outbox, make_event(make_submitted(version=version)), signal)

        assert await _wait_for(moderation_sessions, 50) == 50
    assert await relay.backlog() == 0


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_next_one_is_processed(  # type: ignore[no-untyped-def]
    pipeline, stack: Stack, kafka_namespace: str
) -> None:
    gateway_sessions, moderation_sessions, signal, relay, consumer, _publisher = pipeline
    topic = physical_topic(Topic.OPERATING_INFO_SUBMITTED, kafka_namespace)
    good = to_wire(make_event())
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=good.key, value=b"\xff not json", headers=list(good.headers))
    finally:
        await producer.stop()

    async with running(relay, consumer):
        async with gateway_sessions() as session, session.begin():
            await add_event(session, gateway_tables.outbox, make_event(), signal)
        assert await _wait_for(moderation_sessions, 1) == 1

    [letter] = await read_topic(stack.kafka, dead_letter_topic(topic), expected=1)
    headers = {key: value.decode() for key, value in letter.headers}
    assert letter.value == b"\xff not json"
    assert "is not JSON" in headers["dlq_reason"]
    assert headers["dlq_source_topic"] == Topic.OPERATING_INFO_SUBMITTED.value
    assert headers["ce_id"] == good.header("ce_id")


async def test_events_published_while_the_consumer_is_away_are_processed_when_it_returns(pipeline) -> None:  # type: ignore[no-untyped-def]
    gateway_sessions, moderation_sessions, signal, relay, consumer, _publisher = pipeline
    async with running(consumer):
        pass  # joins the group and leaves: offsets exist, nothing consumed
    async with running(relay):
        async with gateway_sessions() as session, session.begin():
            for _ in range(3):
                await add_event(session, gateway_tables.outbox, make_event(), signal)
        async with asyncio.timeout(30):
            while await relay.backlog():
                await asyncio.sleep(0.1)
    assert await _review_items(moderation_sessions) == 0

    async with running(consumer):
        assert await _wait_for(moderation_sessions, 3) == 3


async def test_a_second_consumer_joining_then_leaving_the_group_loses_and_duplicates_nothing(  # type: ignore[no-untyped-def]
    pipeline, stack: Stack, kafka_namespace: str
) -> None:
    gateway_sessions, moderation_sessions, signal, relay, consumer, publisher = pipeline
    second = KafkaConsumerLoop(
        EventProcessor(moderation_sessions, moderation_tables.processed_events, HANDLERS, publisher),
        bootstrap_servers=stack.kafka,
        group_id=f"{kafka_namespace}-moderation",
        topics=[Topic.OPERATING_INFO_SUBMITTED.value],
        namespace=kafka_namespace,
    )

    async def submit(count: int) -> None:
        for _ in range(count):
            async with gateway_sessions() as session, session.begin():
                await add_event(session, gateway_tables.outbox, make_event(), signal)
            await asyncio.sleep(0.01)

    async with running(relay, consumer):
        await submit(100)
        async with running(second):
            await submit(100)
            await _wait_for(moderation_sessions, 150)
        await submit(100)
        assert await _wait_for(moderation_sessions, 300) == 300
    async with moderation_sessions() as session:
        applied = await session.scalar(select(func.count()).select_from(moderation_tables.processed_events))
    assert applied == 300


async def test_a_broadcast_reader_waiting_for_its_topic_asks_the_broker_less_and_less_often(
    stack: Stack, kafka_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each look for a missing topic is a metadata request for every topic of the cluster: looking every half-second
    kept an idle gateway busy. Within 3.2 s a fixed half-second asks 6 or 7 times; doubling waits ask 3 times."""
    fetch = AIOKafkaClient.fetch_all_metadata
    asked = 0

    async def counted(client: AIOKafkaClient) -> Any:
        nonlocal asked
        asked += 1
        return await fetch(client)

    monkeypatch.setattr(AIOKafkaClient, "fetch_all_metadata", counted)
    reader = KafkaBroadcastReader(
        Topic.PUBLICATIONS, lambda _: None, bootstrap_servers=stack.kafka, namespace=kafka_namespace
    )
    async with running(reader) as stop:
        await asyncio.sleep(3.2)
        stop.set()
    assert 1 <= asked <= 3
    assert [topic_wait_seconds(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


async def test_a_broadcast_reader_told_that_its_topic_exists_looks_again_at_once(
    stack: Stack, kafka_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publications topic is created by its first event; the gateway's reader, waiting up to 5 s between looks,
    found it seconds later, and until then every publication came from the log's fallback, a second or more late
    (M1's « same document » stall of 3 December: the 2nd measured event at 1.7 s). Told by the log that the topic
    has news (look_now), it looks again without waiting. Here the waits are an hour: only look_now can end one."""
    monkeypatch.setattr("shared.kafka.TOPIC_WAIT_FIRST", 3600.0)
    monkeypatch.setattr("shared.kafka.TOPIC_WAIT_LONGEST", 3600.0)
    fetch = AIOKafkaClient.fetch_all_metadata
    asked = 0

    async def counted(client: AIOKafkaClient) -> Any:
        nonlocal asked
        asked += 1
        return await fetch(client)

    monkeypatch.setattr(AIOKafkaClient, "fetch_all_metadata", counted)
    received: list[bytes] = []
    reader = KafkaBroadcastReader(
        Topic.PUBLICATIONS,
        lambda messages: received.extend(m.value for m in messages),
        bootstrap_servers=stack.kafka,
        namespace=kafka_namespace,
    )
    publisher = KafkaPublisher(stack.kafka, namespace=kafka_namespace)
    try:
        async with running(reader) as stop:
            async with asyncio.timeout(30):
                while asked < 1:
                    await asyncio.sleep(0.05)
            message = to_wire(make_event(make_submitted()))
            await publisher.publish([replace(message, topic=Topic.PUBLICATIONS)])
            reader.look_now()
            async with asyncio.timeout(30):
                while not received:
                    await asyncio.sleep(0.05)
            stop.set()
    finally:
        await publisher.close()
    assert received == [message.value]
    assert asked == 2  # one look before the topic existed, one when told
