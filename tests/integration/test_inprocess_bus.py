"""The embedded mode's pipeline: gateway outbox → in-process bus → moderation queue, and decision → e-mail file."""

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import func, select

from gateway import tables as gateway_tables
from moderation import tables as moderation_tables
from moderation.handlers import HANDLERS as MODERATION_HANDLERS
from notifier import tables as notifier_tables
from notifier.deliveries import DeliveryWorker
from notifier.email import FolderSender
from notifier.handlers import HANDLERS as NOTIFIER_HANDLERS
from shared.bus import InProcessBus, InProcessConsumer, dead_letter_publisher
from shared.consumer import EventProcessor
from shared.db import create_session_factory
from shared.events import Topic, WireMessage, to_wire
from shared.outbox import OutboxRelay, OutboxSignal, add_event
from tests.conftest import DatabaseFactory, EngineFactory
from tests.factories import make_decided, make_event


async def test_a_submission_reaches_the_review_queue_through_the_in_process_bus(
    sqlite_database: DatabaseFactory, engines: EngineFactory
) -> None:
    bus = InProcessBus()
    gateway = engines(await sqlite_database("gateway"))
    moderation = engines(await sqlite_database("moderation"))
    gateway_sessions, moderation_sessions = create_session_factory(gateway), create_session_factory(moderation)
    processor = EventProcessor(
        moderation_sessions, moderation_tables.processed_events, MODERATION_HANDLERS, dead_letter_publisher(bus)
    )
    InProcessConsumer(bus, [Topic.OPERATING_INFO_SUBMITTED.value], processor)
    relay = OutboxRelay(gateway, gateway_sessions, gateway_tables.outbox, bus, OutboxSignal())
    async with gateway_sessions() as session, session.begin():
        await add_event(session, gateway_tables.outbox, make_event())

    assert await relay.relay_once() == 1

    async with moderation_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(moderation_tables.review_items)) == 1


async def test_a_decision_is_e_mailed_once_to_the_folder_in_embedded_mode(
    sqlite_database: DatabaseFactory, engines: EngineFactory, tmp_path: Path
) -> None:
    bus = InProcessBus()
    engine = engines(await sqlite_database("notifier"))
    sessions = create_session_factory(engine)
    signal = OutboxSignal()
    processor = EventProcessor(
        sessions, notifier_tables.processed_events, NOTIFIER_HANDLERS, dead_letter_publisher(bus), on_applied=signal.set
    )
    InProcessConsumer(bus, [Topic.MODERATION_DECIDED.value], processor)
    worker = DeliveryWorker(
        sessions, FolderSender(tmp_path / "mail"), signal, mail_from="caf@example.org", max_attempts=3
    )
    event = make_event(make_decided())
    message = to_wire(event)

    await bus.publish([message, message])  # delivered twice: one e-mail
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.3)
    stop.set()
    signal.set()
    await task

    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert mail["To"] == "m.dupont@escautpont.example"
    assert "n'ont pas été validées" in str(mail["Subject"])
    assert mail["X-Correlation-Id"] == "corr-test-1"


async def test_a_poison_message_is_kept_as_a_dead_letter_by_the_in_process_bus(
    sqlite_database: DatabaseFactory, engines: EngineFactory
) -> None:
    bus = InProcessBus()
    engine = engines(await sqlite_database("moderation"))
    processor = EventProcessor(
        create_session_factory(engine),
        moderation_tables.processed_events,
        MODERATION_HANDLERS,
        dead_letter_publisher(bus),
    )
    InProcessConsumer(bus, [Topic.OPERATING_INFO_SUBMITTED.value], processor)

    await bus.publish([WireMessage(topic=Topic.OPERATING_INFO_SUBMITTED.value, key=b"k", value=b"[]", headers=())])

    [letter] = bus.dead_letters
    assert "missing header(s)" in (letter.header("dlq_reason") or "")
