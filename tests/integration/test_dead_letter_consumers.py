"""Issue 13 item 12: a poison message on a topic two services consume is dead-lettered by each, and each letter
names the consumer group that failed (``dlq_consumer``), on the in-process bus and on real Kafka."""

import asyncio
from typing import Any

from shared.bus import InProcessBus
from shared.events import Topic, WireMessage, physical_topic, to_wire
from tests.factories import make_decided, make_event
from tests.kafka_tools import read_topic
from tests.three_services import Services, backend, services

__all__ = ["backend", "services"]


async def _dead_letters(services: Services, topic: str, expected: int) -> list[dict[str, str]]:
    """The headers of the dead letters of ``topic`` once ``expected`` are there."""
    runtime = services.apps["notifier"].state.runtime
    publisher = runtime.publisher
    if isinstance(publisher, InProcessBus):
        async with asyncio.timeout(30):
            while len(letters := [m for m in publisher.dead_letters if m.topic == f"{topic}.dlq"]) < expected:
                await asyncio.sleep(0.05)
        return [{name: value.decode() for name, value in letter.headers} for letter in letters]
    settings = runtime.settings
    physical = physical_topic(f"{topic}.dlq", settings.kafka_topic_namespace)
    records: list[Any] = await read_topic(settings.kafka_bootstrap_servers, physical, expected=expected, timeout=60)
    return [{name: value.decode() for name, value in record.headers} for record in records]


async def test_a_poison_decision_is_dead_lettered_once_per_consumer_group_naming_it(services: Services) -> None:
    good = to_wire(make_event(make_decided()))
    poison = WireMessage(topic=good.topic, key=good.key, value=b'{"decision": 12}', headers=good.headers)

    await services.apps["moderation"].state.runtime.publisher.publish([poison])

    letters = await _dead_letters(services, Topic.MODERATION_DECIDED.value, expected=2)
    assert sorted(letter["dlq_consumer"] for letter in letters) == ["structures-gateway", "structures-notifier"]
    assert all(letter["dlq_source_topic"].endswith(Topic.MODERATION_DECIDED.value) for letter in letters)
