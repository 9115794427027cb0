"""What every service runs besides its own endpoints: database, outbox relay, consumer loop, health checks.

A service's ``create_app`` builds a :class:`ServiceRuntime` in its Starlette lifespan (never at import time),
gives it its tables and event handlers, and mounts :func:`health_routes`.
"""

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import SecretStr
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from shared.bus import ConsumerLoop, InProcessBus, InProcessConsumer, dead_letter_publisher
from shared.consumer import EventProcessor, Handler
from shared.db import SessionFactory, check_database, create_engine, create_session_factory, upgrade_database
from shared.errors import TransientError
from shared.kafka import KafkaConsumerLoop, KafkaPublisher
from shared.loop_lag import LoopLagMonitor
from shared.metrics import ServiceMetrics
from shared.outbox import OutboxRelay, OutboxSignal, Publisher
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """What distinguishes one service's runtime: its name, tables, migrations and subscriptions."""

    name: str
    migrations: Path
    processed_events: Table
    outbox: Table | None = None
    consumer_group: str = ""
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    topics: Sequence[str] = ()
    kafka_required_for_readiness: bool = True


class ServiceRuntime:
    """Owns the engine, the publisher, the outbox relay and the consumer loop of one service."""

    def __init__(
        self,
        spec: ServiceSpec,
        settings: ServiceSettings,
        bus: InProcessBus | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.spec = spec
        self.metrics = metrics or ServiceMetrics(spec.name)
        self.settings = settings
        self.stop_event = asyncio.Event()
        self.signal = OutboxSignal()
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessions: SessionFactory = create_session_factory(self.engine)
        self._bus = bus
        self.publisher = self._make_publisher()
        self.relay = (
            OutboxRelay(
                self.engine,
                self.sessions,
                spec.outbox,
                self.publisher,
                self.signal,
                poll_seconds=settings.outbox_poll_seconds,
            )
            if spec.outbox is not None
            else None
        )
        self._processor: EventProcessor | None = None
        self.consumer: ConsumerLoop | None = self._make_consumer() if spec.topics else None
        self._tasks: list[asyncio.Task[None]] = []
        self.gauges: dict[str, Callable[[], object]] = {}
        """Figures of the service reported by ``/readyz`` (e.g. the gateway's open subscriptions)."""
        self.loop_lag = LoopLagMonitor(self.metrics)
        self._register_metrics()

    def _register_metrics(self) -> None:
        if self.relay is not None:
            relay = self.relay
            self.metrics.simple_gauge(
                "structures_outbox_backlog", "Events committed but not yet published", lambda: relay.backlog()
            )
            self.metrics.simple_gauge(
                "structures_outbox_oldest_seconds",
                "Age of the oldest event waiting in the outbox (0 when empty)",
                lambda: relay.oldest_age(),
            )
        if self.consumer is not None:
            consumer = self.consumer
            self.metrics.gauge(
                "structures_consumer_lag",
                "Messages of the consumer group's partitions not yet processed by this process",
                consumer.lag,
                ("topic", "partition"),
            )
        if self._processor is not None:
            counts = self._processor.counts
            self.metrics.counter(
                "structures_events",
                "Consumed events by outcome: applied, duplicate (already applied), ignored, dead-lettered",
                "outcome",
                lambda: {outcome.value: count for outcome, count in counts.items()},
            )

    def _make_publisher(self) -> Publisher:
        if self.settings.bus == "inprocess":
            if self._bus is None:
                raise RuntimeError("the in-process bus is only available in the embedded mode (structures dev)")
            return self._bus
        return KafkaPublisher(
            self.settings.kafka_bootstrap_servers,
            namespace=self.settings.kafka_topic_namespace,
            client_id=f"structures-{self.spec.name}",
        )

    def _make_consumer(self) -> ConsumerLoop:
        dead_letters = dead_letter_publisher(self._bus) if self._bus is not None else self.publisher
        processor = EventProcessor(
            self.sessions,
            self.spec.processed_events,
            self.spec.handlers,
            dead_letters,
            stop=self.stop_event,
            on_applied=self.signal.set,
            consumer=self.spec.consumer_group or f"structures-{self.spec.name}",
        )
        self._processor = processor
        if self._bus is not None:
            return InProcessConsumer(self._bus, self.spec.topics, processor)
        return KafkaConsumerLoop(
            processor,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.spec.consumer_group,
            topics=self.spec.topics,
            namespace=self.settings.kafka_topic_namespace,
            client_id=f"structures-{self.spec.name}",
        )

    async def start(self) -> None:
        if self.settings.migrate_on_start:
            await upgrade_database(self.spec.migrations, self.settings.database_url)
        self.spawn(self.loop_lag.run(self.stop_event), "loop-lag")
        if self.relay is not None:
            self.spawn(self.relay.run(self.stop_event), "relay")
        if isinstance(self.publisher, KafkaPublisher):
            self.spawn(self._keep_publisher_connected(), "producer")
        if self.consumer is not None:
            self.spawn(self.consumer.run(self.stop_event), "consumer")
        log.info("service started", extra={"service": self.spec.name, "bus": self.settings.bus})

    def spawn(self, work: Coroutine[Any, Any, None], role: str) -> None:
        """Run ``work`` in the background until :meth:`close`; it should return once ``stop_event`` is set."""
        self._tasks.append(asyncio.create_task(work, name=f"{self.spec.name}-{role}"))

    async def close(self) -> None:
        self.stop_event.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                async with asyncio.timeout(20):
                    await task
        if isinstance(self.publisher, KafkaPublisher):
            await self.publisher.close()
        await self.engine.dispose()
        log.info("service stopped", extra={"service": self.spec.name})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["ServiceRuntime"]:
        await self.start()
        try:
            yield self
        finally:
            await self.close()

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Whether the service can do its job, and why not."""
        report: dict[str, Any] = {"service": self.spec.name, "process": os.getpid()}
        database_ok = await self._database_ok(report)
        report["kafka"] = self._kafka_state()
        report["outbox_backlog"] = await self.relay.backlog() if database_ok and self.relay is not None else None
        report |= {name: gauge() for name, gauge in self.gauges.items()}
        kafka_ok = report["kafka"] in ("connected", "in-process")
        ready = database_ok and (kafka_ok or not self.spec.kafka_required_for_readiness)
        report["status"] = "ready" if ready and kafka_ok else "degraded" if ready else "unavailable"
        return ready, report

    async def _database_ok(self, report: dict[str, Any]) -> bool:
        try:
            await check_database(self.engine)
        except Exception as exc:  # noqa: BLE001 - health check boundary: report any failure
            report["database"] = f"unavailable: {type(exc).__name__}"
            return False
        report["database"] = "ok"
        return True

    def _kafka_state(self) -> str:
        if self.settings.bus == "inprocess":
            return "in-process"
        consumer_ok = self.consumer is None or self.consumer.connected
        publisher_ok = isinstance(self.publisher, KafkaPublisher) and self.publisher.connected
        relay_ok = self.relay is None or self.relay.last_error is None
        return "connected" if consumer_ok and publisher_ok and relay_ok else "unreachable"

    async def _keep_publisher_connected(self) -> None:
        """Connect the producer early and after failures, so readiness tells the truth before any event."""
        assert isinstance(self.publisher, KafkaPublisher)
        while not self.stop_event.is_set():
            if not self.publisher.connected:
                with contextlib.suppress(TransientError):
                    await self.publisher.connect()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self.stop_event.wait()


def health_routes(runtime_of: "RuntimeAccessor") -> list[Route]:
    """``/healthz`` (the process answers), ``/readyz`` (database and Kafka, 503 when not ready) and ``/metrics``
    (Prometheus; only with ``Authorization: Bearer <metrics_token>`` when the service's settings set one)."""

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        ready, report = await runtime_of(request).readiness()
        return JSONResponse(report, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        runtime = runtime_of(request)
        if not _may_scrape(runtime.settings.metrics_token, request.headers.get("authorization")):
            return JSONResponse(
                {"error": "Jeton requis pour /metrics (Authorization: Bearer …).", "code": "UNAUTHENTICATED"},
                status_code=401,
                headers={"www-authenticate": 'Bearer realm="metrics"'},
            )
        exposition = await runtime.metrics.exposition()
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]


def _may_scrape(token: SecretStr | None, header: str | None) -> bool:
    if token is None or not token.get_secret_value():  # unset, or set empty as in .env.example: open
        return True
    scheme, _, given = (header or "").partition(" ")
    # Compared in constant time, so the answer's timing tells nothing about how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())


class RuntimeAccessor:
    """Finds the runtime stored on the application's state by its lifespan."""

    def __call__(self, request: Request | WebSocket) -> ServiceRuntime:
        runtime = request.app.state.runtime
        assert isinstance(runtime, ServiceRuntime)
        return runtime
