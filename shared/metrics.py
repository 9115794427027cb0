"""Prometheus metrics of one service, served at ``/metrics`` in the text exposition format.

Each service builds one :class:`ServiceMetrics` in ``create_app`` (its own registry: the embedded default runs three
services in one process, and tests build many apps). Counters and histograms are updated as things happen (GraphQL
operations, e-mails, events); gauges whose value lives in the database or the Kafka client (outbox backlog, consumer
lag, review queue depth and age) are read when Prometheus scrapes, so they cost nothing between scrapes.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GaugeReading = Callable[[], Awaitable[Mapping[tuple[str, ...], float]]]
"""Reads a labelled gauge at scrape time: label values → value."""


class ServiceMetrics:
    """The registry of one service and the metrics every service has."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.operations = Histogram(
            "structures_graphql_operation_seconds",
            "GraphQL queries and mutations by root field, type and outcome (ok, error, invalid); "
            "subscriptions are counted by structures_publication_subscribers",
            ["operation", "type", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._readings: list[tuple[Gauge, GaugeReading]] = []
        Gauge(
            "structures_service_info", "The service behind this endpoint", ["service"], registry=self.registry
        ).labels(service).set(1)

    def gauge(self, name: str, documentation: str, read: GaugeReading, labels: tuple[str, ...] = ()) -> None:
        """A gauge whose values ``read`` returns at each scrape (a failing read leaves the series absent)."""
        self._readings.append((Gauge(name, documentation, labels, registry=self.registry), read))

    def simple_gauge(self, name: str, documentation: str, read: Callable[[], Awaitable[float]]) -> None:
        """A gauge without labels read at each scrape."""

        async def reading() -> Mapping[tuple[str, ...], float]:
            return {(): await read()}

        self.gauge(name, documentation, reading)

    def counter(self, name: str, documentation: str, label: str, read: Callable[[], Mapping[str, int]]) -> None:
        """A counter kept by someone else (e.g. the event processor's outcome counts), read at each scrape."""
        self.registry.register(_CountsCollector(name, documentation, label, read))

    async def exposition(self) -> bytes:
        """Refresh the scrape-time gauges, then render every metric."""
        await asyncio.gather(*(self._refresh(gauge, read) for gauge, read in self._readings))
        return generate_latest(self.registry)

    async def _refresh(self, gauge: Gauge, read: GaugeReading) -> None:
        gauge.clear()
        try:
            async with asyncio.timeout(5):
                values = await read()
        except Exception as error:  # noqa: BLE001 - a scrape must not fail because one source is away
            log.warning("metric unavailable", extra={"metric": gauge._name, "error": type(error).__name__})
            return
        for label_values, value in values.items():
            (gauge.labels(*label_values) if label_values else gauge).set(value)


class _CountsCollector(Collector):
    def __init__(self, name: str, documentation: str, label: str, read: Callable[[], Mapping[str, int]]) -> None:
        self._name, self._documentation, self._label, self._read = name, documentation, label, read

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self._name, self._documentation, labels=[self._label])
        for label_value, count in self._read().items():
            family.add_metric([label_value], count)
        yield family


def operation_metrics(metrics: ServiceMetrics) -> Callable[[], SchemaExtension]:
    """A schema extension factory timing each query and mutation (subscriptions last as long as a connection)."""

    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            yield
            context = self.execution_context
            if _operation_type(context) is OperationType.SUBSCRIPTION:
                return
            kind, fields = _root_fields(context)
            metrics.operations.labels(fields, kind, _outcome(context)).observe(time.perf_counter() - started)

    return OperationMetrics


def _operation_type(context: Any) -> OperationType | None:
    with contextlib.suppress(RuntimeError, AttributeError):
        return context.operation_type  # type: ignore[no-any-return]
    return None


def _root_fields(context: Any) -> tuple[str, str]:
    """The operation's type and its root fields: names from the schema, so the label set stays bounded."""
    document = context.graphql_document
    if document is None or context.result is None:
        return "unknown", "invalid"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            context.operation_name is None or (definition.name and definition.name.value == context.operation_name)
        ):
            root = context.schema._schema.get_root_type(definition.operation)
            selected = {s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)}
            names = sorted(name for name in selected if root is not None and name in root.fields)
            return definition.operation.value, "+".join(names[:3]) or "invalid"
    return "unknown", "invalid"


def _outcome(context: Any) -> str:
    if context.result is None:
        return "invalid"
    return "error" if context.result.errors else "ok"
