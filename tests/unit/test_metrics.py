"""Prometheus metrics: bounded operation labels, scrape-time gauges, counters kept by others."""

from prometheus_client.parser import text_string_to_metric_families

from moderation.graphql.schema import build_schema
from shared.metrics import ServiceMetrics


def _samples(exposition: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition.decode())
        for s in family.samples
    }


async def test_operations_are_labelled_by_schema_fields_never_by_what_the_caller_wrote() -> None:
    metrics = ServiceMetrics("moderation")
    schema = build_schema(metrics)
    assert (await schema.execute("query Anything { service { name } }")).errors is None
    assert (await schema.execute("query Other { a1: service { version } }")).errors is None
    assert (await schema.execute("{ secretFieldOfTheDay }")).errors
    assert (await schema.execute("{ service { ")).errors

    samples = _samples(await metrics.exposition())
    count = "structures_graphql_operation_seconds_count"
    assert samples[(count, frozenset({("operation", "service"), ("type", "query"), ("outcome", "ok")}))] == 2
    labels = {dict(k[1])["operation"] for k in samples if k[0] == count}
    assert labels == {"service", "invalid"}  # neither "Anything", "a1" nor "secretFieldOfTheDay"


async def test_gauges_are_read_at_scrape_time_and_a_failing_source_only_loses_its_own_series() -> None:
    metrics = ServiceMetrics("gateway")
    backlog = [3.0]

    async def read_backlog() -> float:
        return backlog[0]

    async def broken() -> dict[tuple[str, ...], float]:
        raise ConnectionError("database away")

    metrics.simple_gauge("structures_outbox_backlog", "waiting", read_backlog)
    metrics.gauge("structures_consumer_lag", "lag", broken, ("topic", "partition"))
    metrics.counter("structures_events", "events", "outcome", lambda: {"applied": 7, "dead-lettered": 1})

    first = _samples(await metrics.exposition())
    backlog[0] = 0.0
    second = _samples(await metrics.exposition())
    assert first[("structures_outbox_backlog", frozenset())] == 3
    assert second[("structures_outbox_backlog", frozenset())] == 0
    assert not [k for k in second if k[0] == "structures_consumer_lag"]
    assert second[("structures_events_total", frozenset({("outcome", "dead-lettered")}))] == 1
    assert second[("structures_service_info", frozenset({("service", "gateway")}))] == 1
