"""The event bus port and its two implementations.

* Kafka (:mod:`shared.kafka`): what production, the local real stack and the tests use.
* In-process (:class:`InProcessBus`): the embedded default only (``structures dev``), one process, no broker.

Both carry the same serialised CloudEvents and feed the same :class:`~shared.consumer.EventProcessor`, so the
handlers cannot tell them apart. The in-process bus delivers synchronously: ``publish`` returns once every
subscribed consumer group has applied (or dead-lettered) the messages, so the outbox row is only marked sent once
its effects are committed — nothing accepted is lost if the process stops, it is relayed again on restart.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

from shared.consumer import Delivery, EventProcessor
from shared.events import WireMessage
from shared.outbox import Publisher

log = logging.getLogger(__name__)


class ConsumerLoop(Protocol):
    """Port: runs a consumer group until told to stop."""

    connected: bool

    async def run(self, stop: asyncio.Event) -> None: ...

    async def lag(self) -> dict[tuple[str, ...], float]:
        """Messages not yet processed, by (topic, partition)."""
        ...


class InProcessBus:
    """A publisher that hands each message to the processors subscribed to its topic, one group at a time."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[EventProcessor]] = defaultdict(list)
        self._listeners: dict[str, list[Callable[[Sequence[WireMessage]], None]]] = defaultdict(list)
        self._offsets: dict[str, int] = defaultdict(int)
        self._lock = asyncio.Lock()
        self.dead_letters: list[WireMessage] = []

    def subscribe(self, topics: Sequence[str], processor: EventProcessor) -> None:
        for topic in topics:
            self._subscribers[topic].append(processor)

    def listen(self, topic: str, on_messages: Callable[[Sequence[WireMessage]], None]) -> None:
        """Also hand every message of ``topic`` to ``on_messages`` (a live fan-out, like Kafka's group-less reader)."""
        self._listeners[topic].append(on_messages)

    async def publish(self, messages: Sequence[WireMessage]) -> None:
        async with self._lock:
            for message in messages:
                await self._deliver(message)

    def record_dead_letter(self, message: WireMessage) -> None:
        self.dead_letters.append(message)
        log.error("dead letter", extra={"topic": message.topic, "reason": message.header("dlq_reason")})

    async def _deliver(self, message: WireMessage) -> None:
        if message.topic.endswith(".dlq"):
            self.record_dead_letter(message)
            return
        offset = self._offsets[message.topic]
        self._offsets[message.topic] = offset + 1
        for processor in self._subscribers.get(message.topic, ()):
            await processor.process(Delivery(message=message, offset=offset))
        for on_messages in self._listeners.get(message.topic, ()):
            on_messages([message])


class DeadLetterSink:
    """The in-process dead-letter publisher: keeps dead letters in the bus's list (and logs them)."""

    def __init__(self, bus: InProcessBus) -> None:
        self._bus = bus

    async def publish(self, messages: Sequence[WireMessage]) -> None:
        for message in messages:
            self._bus.record_dead_letter(message)


class InProcessConsumer:
    """The in-process counterpart of :class:`~shared.kafka.KafkaConsumerLoop`: subscribes, then idles."""

    def __init__(self, bus: InProcessBus, topics: Sequence[str], processor: EventProcessor) -> None:
        bus.subscribe(topics, processor)
        self.connected = True

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def lag(self) -> dict[tuple[str, ...], float]:
        return {}  # the in-process bus hands each message over synchronously: nothing waits


def dead_letter_publisher(bus: InProcessBus) -> Publisher:
    return DeadLetterSink(bus)
