"""R10, bad input on every consumed topic, on the real Kafka and PostgreSQL.

For each topic a service consumes (found in the services' own specs), a batch of poison messages is sent between
valid events, all with one key (one partition, so the poison stands in the valid events' way): each poison message
reaches the topic's dead-letter topic once with a reason naming its problem, the valid events are applied once, and
the consumer goes on. The gateway's group-less publication reader has no dead-letter topic (every process reads the
whole topic, and the publication log is the truth): it skips what it cannot read, counts it, and keeps serving.
E-mail data is in ``test_bad_email_data.py``, GraphQL requests in ``test_bad_requests.py``.
"""

import asyncio
import inspect
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, func, select

import gateway.app as gateway_app
import moderation.app as moderation_app
import notifier.app as notifier_app
from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.publications.feed import PublicationFeed, PublicationFilter
from gateway.publications.sources import FeedWriter
from gateway.settings import GatewaySettings
from gateway.submissions.tables import submissions
from moderation import tables as moderation_tables
from moderation.settings import ModerationSettings
from notifier import tables as notifier_tables
from notifier.settings import NotifierSettings
from shared.db import SessionFactory
from shared.events import (
    AgentDeactivated,
    Envelope,
    ModerationDecided,
    OperatingInfoPublished,
    PublicPlace,
    SessionsRevoked,
    Topic,
    WireMessage,
    dead_letter_topic,
    new_event,
    physical_topic,
    to_wire,
)
from shared.kafka import KafkaBroadcastReader
from shared.runtime import ServiceRuntime, ServiceSpec
from shared.settings import ServiceSettings
from tests.catalogue_data import create_pg_database
from tests.conftest import DatabaseFactory, Stack, drop_databases
from tests.factories import make_agent, make_decided, make_event, make_submitted
from tests.integration.test_decisions import _marie, _submit
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.integration

KEY = str(MULTI_ACCUEIL)
Headers = list[tuple[str, bytes | None]]


def _poison(valid: WireMessage) -> dict[str, tuple[bytes | None, Headers, str]]:
    """Bad messages made from a valid one: case → (value, headers, what the dead-letter reason must say)."""
    ce: Headers = [(name, b"poison-1" if name == "ce_id" else value) for name, value in valid.headers]
    text_field = next(name for name, value in json.loads(valid.value).items() if isinstance(value, str))

    def with_text(text: str) -> bytes:
        return json.dumps(json.loads(valid.value) | {text_field: text}).encode()

    def swapped(header: str, replacement: bytes | None) -> Headers:
        return [(name, replacement if name == header else value) for name, value in ce]

    return {
        "not-json": (b"this is not JSON", ce, "is not JSON"),
        "invalid-utf8": (b'{"name": "\xff\xfe caf\xe9"}', ce, "not valid UTF-8"),
        "wrong-shape": (b'{"unexpected": [1, 2]}', ce, "Field required"),
        "unknown-type": (valid.value, swapped("ce_type", b"fr.example.unknown.v1"), "unknown event type"),
        "no-cloudevents-headers": (valid.value, [], "missing header(s) ce_specversion, ce_id, ce_source, ce_type"),
        "header-without-value": (valid.value, swapped("ce_type", None), "the ce_type header has no value"),
        # Within what the producer and the broker accept (1 MiB), over the event limit; its dead letter would not fit.
        "oversized": (b"x" * (1_048_576 - 256), [], "bytes, over the 921600-byte limit of an event"),
        "deeply-nested": (b"[" * 100_000 + b"]" * 100_000, ce, "nested too deeply"),
        "huge-integer": (b'{"version": ' + b"9" * 5_000 + b"}", ce, "Exceeds the limit (4300 digits)"),
        "nul-character": (with_text("Cr\u00e8che\u0000"), ce, f"data.{text_field} contains a NUL character"),
        "lone-surrogate": (with_text("Cr\ud800che"), ce, f"data.{text_field} contains a lone surrogate"),
        "unsafe-event-id": (valid.value, swapped("ce_id", b"evt\r\nBcc: x@evil.example"), "ce_id 'evt\\r\\nBcc"),
        "tombstone": (None, ce, "the message has no value"),
    }


async def _produce(stack: Stack, topic: str, messages: list[tuple[str, bytes | None, Headers]]) -> None:
    """Send in order, one key (one partition); ``x-case`` names each message."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka)
    await producer.start()
    try:
        for case, value, headers in messages:
            await producer.send_and_wait(
                topic, value=value, key=KEY.encode(), headers=[*headers, ("x-case", case.encode())]
            )
    finally:
        await producer.stop()


def _sent(case: str, message: WireMessage) -> tuple[str, bytes | None, Headers]:
    return case, message.value, list(message.headers)


@dataclass(frozen=True)
class Consumer:
    """One consumer group's topic, with valid events for it and how to count their effects."""

    service: str
    topic: Topic
    settings: Callable[..., ServiceSettings]
    spec: Callable[[Any], ServiceSpec]
    prepare: Callable[[SessionFactory], Awaitable[Callable[[int], Envelope]]]
    """Sets the service's database up; returns the factory of the n-th valid event."""
    effects: Callable[[SessionFactory, list[str]], Awaitable[int]]
    """How many of the valid events (by id) left their effect."""


async def _count(sessions: SessionFactory, table: Table, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def _submissions_to_review(_sessions: SessionFactory) -> Callable[[int], Envelope]:
    return lambda n: make_event(make_submitted(establishment_id=MULTI_ACCUEIL, version=n + 2))


async def _review_items(sessions: SessionFactory, ids: list[str]) -> int:
    return await _count(sessions, moderation_tables.review_items, moderation_tables.review_items.c.event_id.in_(ids))


async def _decisions_to_e_mail(_sessions: SessionFactory) -> Callable[[int], Envelope]:
    return lambda n: make_event(make_decided(establishment_id=MULTI_ACCUEIL, version=n + 2))


async def _deactivations_to_e_mail(_sessions: SessionFactory) -> Callable[[int], Envelope]:
    account = uuid.UUID(KEY)  # the key of an account event is its account id: one partition for all
    return lambda n: new_event(
        AgentDeactivated(
            account_id=account, agent_number="59-ESC-0001", display_name="Marie Dupont",
            email=f"m.dupont.{n}@escautpont.example", reason="Fin de mission", deactivated_by="CAF59-0001",
            deactivated_at=datetime.now(UTC), caf_code="CAF59",
        ),
        source="/tests",
    )  # fmt: skip


async def _revocations(_sessions: SessionFactory) -> Callable[[int], Envelope]:
    account = uuid.UUID(KEY)
    return lambda n: new_event(
        SessionsRevoked(account_id=account, session_id=f"session-{n}", reason="LOGOUT", revoked_at=datetime.now(UTC)),
        source="/tests",
    )


async def _revoked_sessions(sessions: SessionFactory, ids: list[str]) -> int:
    table = moderation_tables.revoked_sessions
    return await _count(sessions, table, table.c.event_id.in_(ids))


async def _deliveries(sessions: SessionFactory, ids: list[str]) -> int:
    return await _count(sessions, notifier_tables.deliveries, notifier_tables.deliveries.c.event_id.in_(ids))


async def _decisions_to_apply(sessions: SessionFactory) -> Callable[[int], Envelope]:
    """Three submissions of Marie's, each superseding the one before; the n-th event rejects the n-th."""
    account = await _marie(sessions)
    submitted = [await _submit(sessions, account, fees=f"Tarif {n}") for n in range(3)]
    return lambda n: new_event(
        ModerationDecided(
            submission_id=uuid.UUID(submitted[n].id), establishment_id=MULTI_ACCUEIL,
            establishment_name="Multi-accueil Les P'tits Mineurs", version=submitted[n].version, decision="REJECTED",
            reasons=["AUTRE"], moderator_number="CAF59-0001", decided_at=datetime.now(UTC), submitted_by=make_agent(),
        ),
        source="/tests",
    )  # fmt: skip


async def _decided_submissions(sessions: SessionFactory, _ids: list[str]) -> int:
    return await _count(sessions, submissions, submissions.c.decided_at.is_not(None))


CONSUMERS = [
    Consumer("moderation", Topic.OPERATING_INFO_SUBMITTED, ModerationSettings, moderation_app.spec,
             _submissions_to_review, _review_items),
    Consumer("moderation", Topic.ACCOUNTS, ModerationSettings, moderation_app.spec, _revocations, _revoked_sessions),
    Consumer("notifier", Topic.MODERATION_DECIDED, NotifierSettings, notifier_app.spec,
             _decisions_to_e_mail, _deliveries),
    Consumer("notifier", Topic.ACCOUNTS, NotifierSettings, notifier_app.spec, _deactivations_to_e_mail, _deliveries),
    Consumer("gateway", Topic.MODERATION_DECIDED, GatewaySettings,
             lambda settings: replace(gateway_app.SPEC, consumer_group=settings.consumer_group),
             _decisions_to_apply, _decided_submissions),
]  # fmt: skip
BROADCAST = re.findall(r"KafkaBroadcastReader\(\s*Topic\.(\w+)", inspect.getsource(gateway_app))


def test_every_consumed_topic_is_in_the_bad_input_matrix() -> None:
    """A topic a service starts to consume (or a new topic) fails here until it has its case above."""
    specs = [
        gateway_app.SPEC,
        moderation_app.spec(ModerationSettings(database_url="sqlite+aiosqlite://")),
        notifier_app.spec(NotifierSettings(database_url="sqlite+aiosqlite://")),
    ]
    consumed = {(spec.name, Topic(topic)) for spec in specs for topic in spec.topics}

    assert consumed == {(consumer.service, consumer.topic) for consumer in CONSUMERS}
    assert BROADCAST == ["PUBLICATIONS"]
    assert {consumer.topic for consumer in CONSUMERS} | {Topic.PUBLICATIONS} == set(Topic)


@pytest.fixture
async def service_database(stack: Stack, pg_database: DatabaseFactory, request: pytest.FixtureRequest) -> Any:
    """``await service_database(name)``: a fresh database of that service (the gateway's with the catalogue)."""
    created: list[str] = []

    async def create(service: str) -> str:
        if service != "gateway":
            return await pg_database(service)
        name = f"t_catalogue_{uuid.uuid4().hex[:10]}"
        await create_pg_database(stack.admin_dsn, name, request.getfixturevalue("pg_catalogue"))
        created.append(name)
        return stack.database_url(name)

    yield create
    await drop_databases(stack, created)


async def _wait_for(check: Callable[[], Awaitable[int]], expected: int, timeout: float = 30) -> int:
    async with asyncio.timeout(timeout):
        while await check() < expected:
            await asyncio.sleep(0.1)
    return await check()


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: f"{c.service}-{c.topic.value}")
async def test_poison_messages_are_dead_lettered_with_their_reason_and_the_valid_events_applied_once(
    consumer: Consumer, stack: Stack, service_database: Any, kafka_namespace: str
) -> None:
    settings = consumer.settings(
        database_url=await service_database(consumer.service), kafka_bootstrap_servers=stack.kafka,
        kafka_topic_namespace=kafka_namespace, consumer_group=f"{kafka_namespace}-{consumer.service}",
        migrate_on_start=False,
    )  # fmt: skip
    runtime = ServiceRuntime(consumer.spec(settings), settings)
    valid = await consumer.prepare(runtime.sessions)
    events = [valid(n) for n in range(3)]
    ids = [event.id for event in events]
    topic = physical_topic(consumer.topic, kafka_namespace)
    poison = _poison(to_wire(events[0]))
    first, second, third = (_sent("valid", to_wire(event)) for event in events)
    await _produce(stack, topic, [first, *((case, v, h) for case, (v, h, _) in poison.items()), second])

    async with runtime.running():
        assert await _wait_for(lambda: consumer.effects(runtime.sessions, ids[:2]), 2) == 2
        letters = await read_topic(stack.kafka, dead_letter_topic(topic), expected=len(poison))
        await _produce(stack, topic, [third])
        assert await _wait_for(lambda: consumer.effects(runtime.sessions, ids), 3) == 3
        assert runtime.consumer is not None
        assert runtime.consumer.connected, "the consumer goes on"
        metrics = (await runtime.metrics.exposition()).decode()

    reasons = {_header(letter, "x-case"): _header(letter, "dlq_reason") for letter in letters}
    assert Counter(_header(letter, "x-case") for letter in letters) == dict.fromkeys(poison, 1)
    for case, (_value, _headers, expected) in poison.items():
        assert reasons[case].startswith("EventContractError: "), case
        assert expected in reasons[case], case
    oversized = next(letter for letter in letters if _header(letter, "x-case") == "oversized")
    assert _header(oversized, "dlq_value_truncated_from") == str(1_048_576 - 256)
    assert _header(letters[0], "dlq_source_topic") == consumer.topic.value
    assert await _count(runtime.sessions, consumer.spec(settings).processed_events) == 3
    assert f'structures_events_total{{outcome="dead-lettered"}} {float(len(poison))}' in metrics


def _header(record: Any, name: str) -> str:
    return next((value or b"").decode() for key, value in record.headers if key == name)


PLACE = PublicPlace(departement="59", commune_insee="59207", category="EAJE")


def _publication(position: str | None) -> WireMessage:
    data = OperatingInfoPublished(
        establishment_id=MULTI_ACCUEIL, place=PLACE, version=3, opening_hours="Mo-Fr 07:30-18:30",
        published_at=datetime.now(UTC),
    )  # fmt: skip
    return to_wire(new_event(data, source="/tests").model_copy(update={"sequence": position}))


@pytest.fixture
async def publication_reader(stack: Stack, kafka_namespace: str) -> AsyncIterator[tuple[FeedWriter, Any, Any]]:
    """The gateway's reader of the public topic feeding a feed that starts at position 1, as ``_follow_publications``
    wires them; yields the writer, the reader and its task."""
    feed = PublicationFeed(gap_seconds=60)  # the log is not involved here: a missing position would wait
    feed.start_at(1)
    writer = FeedWriter(feed)
    reader = KafkaBroadcastReader(Topic.PUBLICATIONS, writer, bootstrap_servers=stack.kafka, namespace=kafka_namespace)
    stop = asyncio.Event()
    task = asyncio.create_task(reader.run(stop))
    try:
        async with feed.subscribe(PublicationFilter()) as subscriber:
            yield writer, reader, (task, subscriber)
    finally:
        stop.set()
        await task


async def test_the_publication_reader_skips_and_counts_what_it_cannot_read_and_keeps_serving_subscribers(
    stack: Stack, kafka_namespace: str, publication_reader: tuple[FeedWriter, Any, Any]
) -> None:
    writer, reader, (task, subscriber) = publication_reader
    topic = physical_topic(Topic.PUBLICATIONS, kafka_namespace)
    valid = [_publication(str(position)) for position in (1, 2, 3)]
    poison = {case: (value, headers) for case, (value, headers, _) in _poison(valid[0]).items()}
    not_publications = {
        "no-cursor": _publication(None),
        "superscript-cursor": _publication("\u00b2"),  # str.isdigit() says yes, int() says no
        "endless-cursor": _publication("9" * 5_000),
        "decision-on-the-public-topic": to_wire(make_event(make_decided())),
    }
    messages = [_sent("valid", valid[0]), *((case, value, headers) for case, (value, headers) in poison.items())]
    messages += [*(_sent(case, message) for case, message in not_publications.items()), _sent("valid", valid[1])]
    await _produce(stack, topic, messages)

    async with asyncio.timeout(30):
        received = [await anext(subscriber), await anext(subscriber)]
        await _produce(stack, topic, [_sent("valid", valid[2])])
        received.append(await anext(subscriber))

    assert [publication.position for publication in received] == [1, 2, 3]
    assert writer.skipped == {"unreadable": len(poison), "not-a-publication": len(not_publications)}
    assert reader.connected
    assert not task.done()
