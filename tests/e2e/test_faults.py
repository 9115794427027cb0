"""Fault tests of quality.md on the real stack, each judged by a checker that counts lost and duplicated effects.

R1: the gateway is killed with SIGKILL at random points while agents submit; every acknowledged submission must
reach the moderation queue exactly once, and nothing a client retried (same idempotency key) may appear twice.
R2: the outbox relay is killed after Kafka acknowledged a batch but before the rows were marked sent (a trigger
holds the marking on an advisory lock the test owns); the batch is published again, Kafka holds it twice, the
queue once.
R6: PostgreSQL is stopped for 6 s under load and started again; requests during the outage get errors quickly
(no hang), the gateway acknowledges again within 10 s of the database's return, and no submission is half-written.
R3: the moderation consumer is killed after committing five review items of a batch and before committing the
batch's offsets (the sixth is held by a trigger); the restarted consumer gets the five again and adds nothing.
R5: the broker is frozen (SIGSTOP) for 30 s under load; the gateway keeps acknowledging submissions, and all of
them reach the queue, once, within 60 s of the broker's return.
"""

import asyncio
import base64
import os
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from gateway import tables as gateway_tables
from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.submissions.tables import submissions
from moderation.tables import review_history, review_items
from shared.db import create_session_factory
from shared.events import OperatingInfoSubmitted, Topic, physical_topic
from shared.relay import key_of
from shared.sealing import generate_key_pair
from structures.stack.layout import StackLayout
from structures.stack.postgres import Postgres
from structures.stack.state import load_state, save_state
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.processes import ServiceProcess, service_env
from tests.e2e.test_escautpont_story import Api
from tests.e2e.test_moderation_story import TEMPORARY, _accounts
from tests.integration.test_operating_info_submission import INFO, SUBMIT
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.e2e
SUBMISSIONS = 1_000
CLIENTS = 8
KILLS = 3


@dataclass
class Checker:
    """What the clients were told, against what the services hold."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> submission id
    attempts: int = 0
    error_answers: list[object] = field(default_factory=list)  # the gateway answered, but with an error

    def lost(self, queued: dict[str, int]) -> list[str]:
        return [sid for sid in self.acknowledged.values() if sid not in queued]

    @staticmethod
    def duplicated(counts: dict[str, int]) -> list[str]:
        return [key for key, count in counts.items() if count != 1]


@dataclass
class Running:
    """Gateway and moderation running as processes on fresh databases, with Marie signed in."""

    api: Api
    token: str
    urls: dict[str, str]
    processes: dict[str, ServiceProcess]
    stack: Stack
    engines: EngineFactory
    namespace: str


@pytest.fixture
async def services(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Running]:  # fmt: skip
    async with _services(stack, pg_database, engines, kafka_namespace, tmp_path, monkeypatch) as running:
        yield Running(*running, stack=stack, engines=engines, namespace=kafka_namespace)


async def _submit_until_acknowledged(api: Api, token: str, key: str, checker: Checker) -> None:
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    document = INFO | {"fees": f"Barème national des participations familiales (saisie {key})."}
    while True:
        checker.attempts += 1
        try:
            body = await api.call(SUBMIT, token, id=crèche, info=document, key=key)
        except (httpx.TransportError, ValueError):  # killed mid-request, or not up yet: retry the same key
            await asyncio.sleep(0.1)
            continue
        result = (body.get("data") or {}).get("submitOperatingInfo")
        if result and result["submission"]:
            assert result["userErrors"] == []
            checker.acknowledged[key] = key_of(result["submission"]["id"], "Submission")
            return
        checker.error_answers.append(body.get("errors") or result)
        await asyncio.sleep(0.1)  # nothing acknowledged: the client retries


async def _kill_at_random_points(gateway: ServiceProcess, checker: Checker, seed: int) -> int:
    rng = random.Random(seed)
    points = sorted(rng.sample(range(50, SUBMISSIONS - 50), KILLS))
    for point in points:
        while len(checker.acknowledged) < point:
            await asyncio.sleep(0.005)
        await asyncio.sleep(rng.uniform(0, 0.05))  # anywhere in the request, the commit or the outbox relay
        gateway.kill()
        gateway.start()
        await gateway.wait_ready()
    return len(points)


async def test_r1_gateway_killed_during_a_thousand_submissions_loses_and_duplicates_nothing(
    services: Running,
) -> None:
    checker = Checker()
    run = uuid.uuid4().hex[:6]
    api, token, urls, processes = services.api, services.token, services.urls, services.processes
    gateway = processes["gateway"]
    keys = asyncio.Queue[str]()
    for n in range(SUBMISSIONS):
        keys.put_nowait(f"r1-{run}-{n:04d}")

    async def client() -> None:
        while not keys.empty():
            await _submit_until_acknowledged(api, token, keys.get_nowait(), checker)

    async with asyncio.TaskGroup() as group:  # a failed restart stops the clients too
        kills = group.create_task(_kill_at_random_points(gateway, checker, seed=int(run, 16)))
        for _ in range(CLIENTS):
            group.create_task(client())
    assert kills.result() == KILLS

    queued = await _wait_for_queue(services.engines(urls["moderation"]), expected=SUBMISSIONS)
    gateway_db = create_session_factory(services.engines(urls["gateway"]))
    async with gateway_db() as session:
        key = submissions.c.idempotency_key
        per_key: dict[str, int] = dict((await session.execute(select(key, func.count()).group_by(key))).all())
    created = await _created_entries(services.engines(urls["moderation"]))

    assert len(checker.acknowledged) == SUBMISSIONS
    assert checker.lost(queued) == [], "acknowledged submissions missing from the moderation queue"
    assert Checker.duplicated(queued) == [], "a submission queued twice"
    assert Checker.duplicated(per_key) == [], "a retried request stored twice"
    assert Checker.duplicated(created) == [], "a review item created twice"
    assert set(queued) == set(checker.acknowledged.values()), "the queue holds submissions nobody was told about"
    assert checker.attempts > SUBMISSIONS, "no request was in flight when the gateway was killed"
    assert checker.error_answers[:3] == [], "a running gateway answered with an error (e.g. concurrent submissions)"


async def _queue_counts(engine: object) -> dict[str, int]:
    """Review items per submission id in the moderation database."""
    sessions = create_session_factory(engine)  # type: ignore[arg-type]
    query = select(review_items.c.submission_id, func.count()).group_by(review_items.c.submission_id)
    async with sessions() as session:
        return {str(k): int(v) for k, v in (await session.execute(query)).all()}


async def _wait_for_queue(engine: object, expected: int, timeout: float = 90) -> dict[str, int]:
    async with asyncio.timeout(timeout):
        while len(counts := await _queue_counts(engine)) < expected:
            await asyncio.sleep(0.5)
    return counts


async def _created_entries(engine: object) -> dict[str, int]:
    sessions = create_session_factory(engine)  # type: ignore[arg-type]
    query = (
        select(review_history.c.item_id, func.count())
        .where(review_history.c.action == "CREATED")
        .group_by(review_history.c.item_id)
    )
    async with sessions() as session:
        return {str(k): int(v) for k, v in (await session.execute(query)).all()}


@asynccontextmanager
async def _services(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, namespace: str, folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Api, str, dict[str, str], dict[str, ServiceProcess]]]:  # fmt: skip
    """Gateway and moderation processes on fresh databases: the API, Marie's token, the DB URLs, the processes."""
    urls = {name: await pg_database(name) for name in ("gateway", "moderation")}
    await fill_catalogue(urls["gateway"])
    _, public_key = generate_key_pair()
    run = uuid.uuid4().hex[:6]
    mails = {"marie": f"marie-{run}@escautpont.example", "caf": f"caf-{run}@caf59.example"}
    await _accounts(urls["gateway"], public_key, engines, mails, monkeypatch)
    signing = base64.b64encode(os.urandom(32)).decode()
    extra = {"NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": signing}
    gateway = ServiceProcess(
        "gateway", service_env("GATEWAY", urls["gateway"], stack.kafka, namespace, **extra), folder / "g.log"
    )
    moderation = ServiceProcess(
        "moderation", service_env("MODERATION", urls["moderation"], stack.kafka, namespace), folder / "m.log"
    )
    try:
        for process in (moderation, gateway):
            process.start()
            await process.wait_ready()
        api = Api(gateway.url)
        token = await api.first_login("m.dupont.escautpont", TEMPORARY, "les P'tits Mineurs au printemps")
        yield api, token, urls, {"gateway": gateway, "moderation": moderation}
    finally:
        for process in (gateway, moderation):
            process.stop()


@asynccontextmanager
async def _marking_sent_held(url: str) -> AsyncIterator[asyncpg.Connection]:
    """Until the block exits, the relay's ``UPDATE outbox SET sent_at`` waits on an advisory lock held here."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await connection.execute(_HOLD_MARKING)
    await connection.execute("SELECT pg_advisory_lock($1)", _HOLD_LOCK)
    try:
        yield connection
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _HOLD_LOCK)
        await connection.execute("DROP TRIGGER hold_marking_sent ON outbox; DROP FUNCTION hold_marking_sent()")
        await connection.close()


_HOLD_LOCK = 0x52_32  # "R2"
_HOLD_MARKING = f"""
CREATE FUNCTION hold_marking_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({_HOLD_LOCK});
    RETURN NEW;
END $$;
CREATE TRIGGER hold_marking_sent BEFORE UPDATE OF sent_at ON outbox FOR EACH ROW EXECUTE FUNCTION hold_marking_sent();
"""


async def _outbox_drained(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with asyncio.timeout(30):
            while await _unsent(connection):
                await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def _unsent(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT event_id FROM outbox WHERE sent_at IS NULL")
    return {row["event_id"] for row in rows}


async def test_r2_relay_killed_after_publishing_before_marking_sent_the_queue_holds_each_event_once(
    services: Running,
) -> None:
    checker = Checker()
    run = uuid.uuid4().hex[:6]
    api, token, urls, processes = services.api, services.token, services.urls, services.processes
    gateway, moderation_db = processes["gateway"], services.engines(urls["moderation"])
    await _outbox_drained(urls["gateway"])  # the set-up's events (passwords issued, sessions revoked) leave first
    async with _marking_sent_held(urls["gateway"]) as held:
        assert await _unsent(held) == set(), "no event of the set-up may be caught by the hold"
        for n in range(20):
            await _submit_until_acknowledged(api, token, f"r2-{run}-{n:02d}", checker)
        # The relay published a first batch and now waits to mark it: those submissions reach the queue.
        await _wait_for_queue(moderation_db, expected=1, timeout=30)
        await asyncio.sleep(1)  # no further batch may leave while the first one is held
        published_unmarked = await _queue_counts(moderation_db)
        unsent = await _unsent(held)
        gateway.kill()  # SIGKILL between "Kafka acknowledged" and "marked sent"
    gateway.start()
    await gateway.wait_ready(report="ready")
    queued = await _wait_for_queue(moderation_db, expected=20, timeout=60)
    topic = physical_topic(Topic.OPERATING_INFO_SUBMITTED, services.namespace)
    on_kafka = await read_topic(services.stack.kafka, topic, expected=20 + len(published_unmarked))
    created = await _created_entries(moderation_db)

    per_event = Counter(dict(record.headers)["ce_id"].decode() for record in on_kafka)
    duplicated_on_kafka = {event for event, count in per_event.items() if count > 1}
    assert 1 <= len(published_unmarked) < 20, "the held batch should be part of the submissions, not all of them"
    assert len(unsent) == 20, "every event was still unmarked when the relay died"
    assert set(per_event) == unsent, "Kafka holds exactly the submitted events"
    assert len(duplicated_on_kafka) == len(published_unmarked), "the held batch was published again after restart"
    assert checker.lost(queued) == []
    assert Checker.duplicated(queued) == [], "a redelivered event created a second review item"
    assert Checker.duplicated(created) == []
    assert len(checker.acknowledged) == 20


_HOLD_INTAKE = f"""
CREATE FUNCTION hold_intake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM review_items) >= 5 THEN
        PERFORM pg_advisory_xact_lock_shared({_HOLD_LOCK});
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER hold_intake BEFORE INSERT ON review_items FOR EACH ROW EXECUTE FUNCTION hold_intake();
"""


@asynccontextmanager
async def _intake_held_after_five(url: str) -> AsyncIterator[None]:
    """Until the block exits, the moderation consumer commits five review items, then waits inside the sixth."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await connection.execute(_HOLD_INTAKE)
    await connection.execute("SELECT pg_advisory_lock($1)", _HOLD_LOCK)
    try:
        yield
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _HOLD_LOCK)
        await connection.execute("DROP TRIGGER hold_intake ON review_items; DROP FUNCTION hold_intake()")
        await connection.close()


async def _committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    """The sum of the offsets ``group`` has committed on ``topic`` (0 when none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(0, meta.offset) for partition, meta in offsets.items() if partition.topic == topic)


async def test_r3_consumer_killed_after_its_db_commit_before_its_offset_commit_redelivery_has_no_second_effect(
    services: Running,
) -> None:
    checker = Checker()
    run = uuid.uuid4().hex[:6]
    api, token, urls, processes = services.api, services.token, services.urls, services.processes
    moderation, moderation_db = processes["moderation"], services.engines(urls["moderation"])
    group = processes["moderation"].env["MODERATION_CONSUMER_GROUP"]
    moderation.stop()  # the batch must wait in Kafka, so that the consumer takes it in one fetch
    for n in range(30):
        await _submit_until_acknowledged(api, token, f"r3-{run}-{n:02d}", checker)
    topic = physical_topic(Topic.OPERATING_INFO_SUBMITTED, services.namespace)
    assert len(await read_topic(services.stack.kafka, topic, expected=30)) == 30
    async with _intake_held_after_five(urls["moderation"]):
        moderation.start()
        await _wait_for_queue(moderation_db, expected=5, timeout=60)
        await asyncio.sleep(1)  # the sixth is held inside its transaction; the batch's offsets wait for it
        committed_before_kill = await _committed_offsets(services.stack.kafka, group, topic)
        applied_before_kill = len(await _queue_counts(moderation_db))
        moderation.kill()  # SIGKILL: five effects committed in the database, their offsets not in Kafka
    moderation.start()
    await _wait_for_queue(moderation_db, expected=30, timeout=60)
    await asyncio.sleep(1)  # let any redelivered duplicate land
    queued = await _queue_counts(moderation_db)
    created = await _created_entries(moderation_db)

    assert applied_before_kill == 5
    assert committed_before_kill == 0, "the offsets of the applied events were not committed when it died"
    assert checker.lost(queued) == []
    assert Checker.duplicated(queued) == [], "a redelivered event created a second review item"
    assert Checker.duplicated(created) == []
    assert len(queued) == 30


@asynccontextmanager
async def _broker_frozen() -> AsyncIterator[None]:
    pid = load_state(StackLayout.discover().state_file).kafka.pid
    assert pid is not None, "the stack's Kafka is not running"
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_r5_kafka_frozen_30_s_under_load_submissions_go_on_and_all_arrive_within_60_s(
    services: Running,
) -> None:
    checker = Checker()
    api, token, urls = services.api, services.token, services.urls
    run = uuid.uuid4().hex[:6]
    sent = 0

    async def load(seconds: float, per_second: int = 10) -> float:
        """Submit at a steady pace; returns the slowest acknowledgement, in seconds."""
        nonlocal sent
        slowest, deadline = 0.0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            await _submit_until_acknowledged(api, token, f"r5-{run}-{sent:04d}", checker)
            sent += 1
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(max(0.0, 1 / per_second - (time.monotonic() - started)))
        return slowest

    await load(3)
    async with _broker_frozen():
        slowest_during_outage = await load(30)
        sent_while_away, queued_while_away = sent, len(await _queue_counts(services.engines(urls["moderation"])))
    back = time.monotonic()
    await load(3)
    queued = await _wait_for_queue(services.engines(urls["moderation"]), expected=sent, timeout=60)
    caught_up = time.monotonic() - back

    assert queued_while_away < sent_while_away - 250, "the broker was not really away"
    assert checker.error_answers[:3] == [], "the gateway refused submissions while Kafka was away"
    assert slowest_during_outage < 2.0, "submissions must not wait for the broker"
    assert len(checker.acknowledged) == sent > 300
    assert checker.lost(queued) == []
    assert Checker.duplicated(queued) == []
    assert caught_up < 60


@dataclass
class Attempt:
    started: float
    seconds: float
    acknowledged: bool
    error: str | None = None  # the GraphQL error code, or the transport error


async def _attempt(api: Api, token: str, key: str, checker: Checker) -> Attempt:
    """One submission request, timed; a request that hangs for 15 s counts as a failure of the test."""
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    document = INFO | {"fees": f"Barème national des participations familiales (saisie {key})."}
    started = time.monotonic()
    checker.attempts += 1
    try:
        async with asyncio.timeout(15):
            body = await api.call(SUBMIT, token, id=crèche, info=document, key=key)
    except (httpx.TransportError, ValueError) as error:
        checker.error_answers.append(repr(error))
        return Attempt(started, time.monotonic() - started, False, type(error).__name__)
    result = (body.get("data") or {}).get("submitOperatingInfo")
    if result and result["submission"]:
        checker.acknowledged[key] = key_of(result["submission"]["id"], "Submission")
        return Attempt(started, time.monotonic() - started, True)
    errors = body.get("errors") or [{"extensions": {"code": "USER_ERRORS"}}]
    checker.error_answers.append(errors)
    return Attempt(started, time.monotonic() - started, False, errors[0].get("extensions", {}).get("code"))


@asynccontextmanager
async def _postgres_stopped() -> AsyncIterator[None]:
    """The stack's PostgreSQL is stopped (fast shutdown) for the block, then started again on its port."""
    layout = StackLayout.discover()
    state = load_state(layout.state_file)
    postgres = Postgres(layout, state.postgres)
    await asyncio.to_thread(postgres.down)
    try:
        yield
    finally:
        await asyncio.to_thread(postgres.up, set())
        save_state(layout.state_file, state)


async def test_r6_postgresql_restarted_errors_not_hangs_recovery_within_10_s_nothing_half_written(
    services: Running,
) -> None:
    checker = Checker()
    attempts: list[Attempt] = []
    run = uuid.uuid4().hex[:6]
    api, token, urls = services.api, services.token, services.urls
    stop_load = asyncio.Event()

    async def load(per_second: int = 5) -> None:
        """A new key per second slot; a key that failed is retried in the next slot, as a client would."""
        n = 0
        while not stop_load.is_set():
            key = f"r6-{run}-{n:04d}"
            attempt = await _attempt(api, token, key, checker)
            attempts.append(attempt)
            n += attempt.acknowledged
            await asyncio.sleep(max(0.0, 1 / per_second - attempt.seconds))

    loader = asyncio.create_task(load())
    await asyncio.sleep(3)
    async with _postgres_stopped():
        down_at = time.monotonic()
        await asyncio.sleep(6)
    back_at = time.monotonic()
    await asyncio.sleep(12)
    stop_load.set()
    await loader

    queued = await _wait_for_queue(services.engines(urls["moderation"]), expected=len(checker.acknowledged), timeout=60)
    gateway_db = create_session_factory(services.engines(urls["gateway"]))
    async with gateway_db() as session:
        stored = {str(sid) for sid in (await session.scalars(select(submissions.c.id))).all()}
        outbox_events = await session.scalar(
            select(func.count())
            .select_from(gateway_tables.outbox)
            .where(gateway_tables.outbox.c.event_type == OperatingInfoSubmitted.event_type)
        )

    during = [a for a in attempts if down_at <= a.started < back_at - 1]
    after = [a for a in attempts if a.started >= back_at and a.acknowledged]
    assert during, "no request was made while the database was away"
    assert not any(a.acknowledged for a in during), "the database was not really away"
    assert {a.error for a in during} == {"SERVICE_UNAVAILABLE"}, "the outage must be told as such, to retry"
    assert max(a.seconds for a in during) < 6, "a request hung while the database was away"
    assert after, "nothing was acknowledged after the database came back"
    assert after[0].started - back_at < 10, "the gateway did not recover within 10 s"
    assert all(a.acknowledged for a in attempts if a.started > back_at + 10), "errors went on after recovery"
    assert checker.lost(queued) == []
    assert Checker.duplicated(queued) == []
    assert stored == set(checker.acknowledged.values()), "a submission was stored but never acknowledged, or lost"
    assert outbox_events == len(stored), "a submission was stored without its event (half-written)"
