"""The three services started from the command line against the real PostgreSQL, Kafka and SMTP sink."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gateway import tables as gateway_tables
from moderation import tables as moderation_tables
from shared.db import SessionFactory, create_session_factory
from shared.events import Topic, physical_topic
from shared.outbox import add_event
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.processes import ServiceProcess, free_port
from tests.factories import make_event, make_submitted
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.e2e

ServiceMaker = Callable[..., ServiceProcess]


@pytest.fixture
async def service(
    stack: Stack, pg_database: DatabaseFactory, kafka_namespace: str, tmp_path: Path
) -> AsyncIterator[ServiceMaker]:
    started: list[ServiceProcess] = []
    databases: dict[str, str] = {}

    async def database(name: str) -> str:
        if name not in databases:
            databases[name] = await pg_database(name)
        return databases[name]

    def make(name: str, database_url: str, **extra: str) -> ServiceProcess:
        prefix = name.upper()
        env = {
            f"{prefix}_DATABASE_URL": database_url,
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
            f"{prefix}_KAFKA_TOPIC_NAMESPACE": kafka_namespace,
            f"{prefix}_CONSUMER_GROUP": f"{kafka_namespace}-{name}",
            f"{prefix}_OUTBOX_POLL_SECONDS": "0.2",
            "NOTIFIER_SMTP_HOST": stack.smtp_host,
            "NOTIFIER_SMTP_PORT": str(stack.smtp_port),
        } | {f"{prefix}_{k.upper()}": v for k, v in extra.items()}
        process = ServiceProcess(name, env, tmp_path / f"{name}.log")
        started.append(process)
        return process

    make.database = database  # type: ignore[attr-defined]
    yield make
    for process in started:
        process.stop()


async def _count(sessions: SessionFactory, table: object) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def _wait_count(sessions: SessionFactory, table: object, at_least: int, timeout: float = 90) -> int:
    async with asyncio.timeout(timeout):
        while (count := await _count(sessions, table)) < at_least:
            await asyncio.sleep(0.1)
    return count


async def test_the_three_services_start_from_the_command_line_and_report_ready(service: ServiceMaker) -> None:
    processes = [service(name, await service.database(name)) for name in ("gateway", "moderation", "notifier")]  # type: ignore[attr-defined]
    for process in processes:
        process.start()

    # The gateway answers "degraded" (still serving reads) until its first broker connection: wait for "ready".
    reports = [await process.wait_ready(report="ready") for process in processes]

    assert [r["status"] for r in reports] == ["ready", "ready", "ready"]
    assert [r["kafka"] for r in reports] == ["connected"] * 3
    async with httpx.AsyncClient() as client:
        for process in processes:
            assert (await client.get(f"{process.url}/healthz")).json() == {"status": "ok"}
        answer = await client.post(f"{processes[0].url}/graphql", json={"query": "{ service { name version } }"})
    assert answer.json() == {"data": {"service": {"name": "structures-gateway", "version": "0.1.0"}}}
    assert [process.stop() for process in processes] == [0, 0, 0], "SIGTERM shuts down gracefully"
    for process in processes:
        assert '"message": "service stopped"' in process.log_path.read_text()


async def test_killing_the_relay_and_the_consumer_midway_loses_and_duplicates_nothing(
    service: ServiceMaker, engines: EngineFactory, stack: Stack, kafka_namespace: str
) -> None:
    gateway_url, moderation_url = await service.database("gateway"), await service.database("moderation")  # type: ignore[attr-defined]
    gateway_sessions = create_session_factory(engines(gateway_url))
    queue = create_session_factory(engines(moderation_url))
    gateway, moderation = service("gateway", gateway_url), service("moderation", moderation_url)
    gateway.start()
    moderation.start()
    await gateway.wait_ready()
    await moderation.wait_ready()
    total = 600

    async def submit_all() -> None:  # the gateway's use cases, committing one submission per transaction
        for index in range(total):
            async with gateway_sessions() as session, session.begin():
                await add_event(session, gateway_tables.outbox, make_event(make_submitted(version=index + 1)))
            if index % 20 == 0:
                await asyncio.sleep(0.05)

    submitting = asyncio.create_task(submit_all())
    await _wait_count(queue, moderation_tables.review_items, 50)
    gateway.kill()  # the relay dies mid-batch; events keep accumulating in the outbox
    assert not submitting.done(), "killed midway"
    assert await _count(queue, moderation_tables.review_items) < total, "killed midway"
    await asyncio.sleep(1.0)
    gateway.start()
    await _wait_count(queue, moderation_tables.review_items, 250)
    moderation.kill()  # the consumer dies with applied-but-uncommitted offsets
    assert await _count(queue, moderation_tables.review_items) < total, "killed midway"
    moderation.start()
    await submitting

    await _wait_count(queue, moderation_tables.review_items, total)
    await asyncio.sleep(2.0)  # let any redelivery land

    async with queue() as session:
        submissions = await session.scalar(
            select(func.count(func.distinct(moderation_tables.review_items.c.submission_id)))
        )
    assert await _count(queue, moderation_tables.review_items) == total
    assert submissions == total
    assert await _count(queue, moderation_tables.processed_events) == total
    published = await read_topic(
        stack.kafka, physical_topic(Topic.OPERATING_INFO_SUBMITTED, kafka_namespace), expected=total
    )
    assert len(published) >= total, "every event reached Kafka (possibly more than once)"


async def test_the_gateway_serves_reads_and_keeps_events_when_kafka_is_unreachable(
    service: ServiceMaker, engines: EngineFactory
) -> None:
    url = await service.database("gateway")  # type: ignore[attr-defined]
    gateway = service("gateway", url, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    gateway.start()
    sessions = create_session_factory(engines(url))
    async with sessions() as session, session.begin():
        await add_event(session, gateway_tables.outbox, make_event())

    report = await gateway.wait_ready()

    assert report["kafka"] == "unreachable"
    assert report["status"] == "degraded"
    assert report["outbox_backlog"] == 1
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{gateway.url}/graphql", json={"query": "{ service { name } }"})
    assert answer.json() == {"data": {"service": {"name": "structures-gateway"}}}


async def test_a_consumer_is_not_ready_without_kafka(service: ServiceMaker) -> None:
    moderation = service(
        "moderation",
        await service.database("moderation"),  # type: ignore[attr-defined]
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
    )
    moderation.start()

    report = await moderation.wait_ready(status=503)

    assert report["kafka"] == "unreachable"
    assert report["database"] == "ok"
