"""Kafka adapters: the idempotent producer behind the outbox, the consumer loop with manual commits, and the
group-less reader that gives every process every message of a topic (live fan-outs).

Topic names inside the services are logical (``structures.….v1``); these adapters add and strip the configured
namespace at the edge.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.consumer import Delivery, EventProcessor
from shared.errors import TransientError
from shared.events import WireMessage, physical_topic

log = logging.getLogger(__name__)


class KafkaPublisher:
    """Publishes with ``acks=all`` and idempotence; (re)connects lazily so a service starts without Kafka."""

    def __init__(self, bootstrap_servers: str, *, namespace: str = "", client_id: str = "structures") -> None:
        self._bootstrap = bootstrap_servers
        self._namespace = namespace
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def publish(self, messages: Sequence[WireMessage]) -> None:
        producer = await self.connect()
        try:
            futures = [
                await producer.send(
                    physical_topic(m.topic, self._namespace), value=m.value, key=m.key, headers=list(m.headers)
                )
                for m in messages
            ]
            await asyncio.gather(*futures)
        except KafkaError as error:
            await self._reset()
            raise TransientError(f"Kafka publish failed: {error!r}") from error

    async def connect(self) -> AIOKafkaProducer:
        """The started producer, starting it first if needed; :class:`TransientError` if Kafka is unreachable."""
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=2,
                    request_timeout_ms=10_000,
                )
                try:
                    await producer.start()
                except KafkaError as error:
                    await producer.stop()
                    raise TransientError(f"Kafka unreachable at {self._bootstrap}: {error!r}") from error
                self._producer = producer
            return self._producer

    async def _reset(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def close(self) -> None:
        await self._reset()


class KafkaConsumerLoop:
    """Consumes logical ``topics`` in consumer group ``group_id`` and feeds each message to ``processor``.

    Offsets are committed manually after the processor has applied (or dead-lettered) the messages of a batch.
    A rebalance waits for the batch in progress and commits its offsets before the partitions are given up.
    """

    def __init__(
        self,
        processor: EventProcessor,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        namespace: str = "",
        client_id: str = "structures",
    ) -> None:
        self._processor = processor
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._namespace = namespace
        self._client_id = client_id
        self._physical = {physical_topic(t, namespace): t for t in topics}
        self._lock = asyncio.Lock()
        self._pending: dict[TopicPartition, int] = {}
        self._done: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self.connected = False

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; reconnects after broker failures."""
        while not stop.is_set():
            try:
                await self._consume(stop)
            except KafkaError as error:
                self.connected = False
                log.warning("Kafka consumer failed, reconnecting", extra={"error": repr(error)})
                await _sleep_unless(stop, 2.0)

    async def _consume(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5_000,
        )
        consumer.subscribe(list(self._physical), listener=_CommitBeforeRevoke(self))
        await consumer.start()
        self._consumer, self.connected = consumer, True
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                async with self._lock:
                    await self._process(batches, stop)
                    await self.commit_pending()
        finally:
            self.connected = False
            async with self._lock:
                await self.commit_pending()
            self._consumer = None
            await consumer.stop()

    async def _process(self, batches: dict[TopicPartition, list[Any]], stop: asyncio.Event) -> None:
        for partition, records in batches.items():
            for record in records:
                if stop.is_set():
                    return
                await self._processor.process(self._delivery(record))
                self._pending[partition] = self._done[partition] = record.offset + 1

    def _delivery(self, record: Any) -> Delivery:
        message = WireMessage(
            topic=self._physical.get(record.topic, record.topic),
            key=record.key or b"",
            value=record.value,
            headers=tuple(record.headers or ()),
        )
        return Delivery(message=message, partition=record.partition, offset=record.offset)

    async def commit_pending(self, partitions: set[TopicPartition] | None = None) -> None:
        """Commit the offsets of processed messages (of ``partitions`` only, when given)."""
        offsets = {tp: off for tp, off in self._pending.items() if partitions is None or tp in partitions}
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as error:
            # The group moved on: the new owner re-reads these messages and the idempotency table absorbs them.
            log.warning("offset commit refused after a rebalance", extra={"error": repr(error)})
        for tp in offsets:
            self._pending.pop(tp, None)

    async def lag(self) -> dict[tuple[str, ...], float]:
        """Per partition assigned to this process: the broker's end offset minus the next offset to process."""
        consumer = self._consumer
        if consumer is None:
            return {}
        lags: dict[tuple[str, ...], float] = {}
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:  # no fetch answered for this partition yet
                continue
            done = self._done.get(tp)
            if done is None:
                done = await consumer.committed(tp) or 0
            lags[(self._physical.get(tp.topic, tp.topic), str(tp.partition))] = max(end - done, 0)
        return lags

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Partitions given up in a rebalance: their progress is the group's committed offset from now on."""
        for tp in partitions:
            self._done.pop(tp, None)


class _CommitBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: KafkaConsumerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._loop._lock:
            await self._loop.commit_pending(set(revoked))
            self._loop.forget(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)})


TOPIC_WAIT_FIRST = 0.5
TOPIC_WAIT_LONGEST = 5.0
"""Waits between looks for a topic that does not exist yet: doubling from the first, up to the longest (the
consumer's metadata_max_age_ms). Each look fetches every topic's metadata, which costs the process CPU: looking
every half-second took 13 % of a core while nobody had written to the topic. Nothing is lost meanwhile (the reader
starts from the messages written since it was created); the first message, which creates the topic, reaches the
reader at most the longest wait later, or at once when the caller knows it exists
(:meth:`KafkaBroadcastReader.look_now`)."""


def topic_wait_seconds(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th (from 0) look found no topic."""
    return min(TOPIC_WAIT_FIRST * 2.0 ** min(attempt, 16), TOPIC_WAIT_LONGEST)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass


async def _wait_for_any(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    """Wait until either event is set or ``seconds`` have passed."""
    waits = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


class KafkaBroadcastReader:
    """Reads every partition of one topic without a consumer group: each process gets every message.

    For fan-outs where each process serves its own clients (GraphQL subscribers). It starts from the messages
    written since the reader was created (so a topic created later loses nothing of what came after start-up), and
    after a broker failure resumes from where it stopped. No offsets are committed: nothing durable depends on it.
    """

    def __init__(
        self,
        topic: str,
        on_messages: Callable[[Sequence[WireMessage]], None],
        *,
        bootstrap_servers: str,
        namespace: str = "",
        client_id: str = "structures",
    ) -> None:
        self._logical = topic
        self._topic = physical_topic(topic, namespace)
        self._on_messages = on_messages
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._since_ms = int(time.time() * 1000)
        self._positions: dict[TopicPartition, int] = {}
        self._look = asyncio.Event()
        self.connected = False

    def look_now(self) -> None:
        """End the wait for a missing topic: look again now (the caller knows it exists, e.g. the gateway's
        publication log holds an event the topic has not brought). Without it, a topic created by its first message
        is found up to :data:`TOPIC_WAIT_LONGEST` later, and its next messages wait as long. Does nothing while the
        topic is being read."""
        self._look.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._read(stop)
            except KafkaError as error:
                self.connected = False
                log.warning("Kafka broadcast reader failed, reconnecting", extra={"error": repr(error)})
                await _sleep_unless(stop, 2.0)

    async def _read(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            client_id=self._client_id,
            enable_auto_commit=False,
            metadata_max_age_ms=5_000,
        )
        await consumer.start()
        try:
            partitions = await self._partitions(consumer, stop)
            if not partitions:
                return
            consumer.assign(partitions)
            await self._seek(consumer, partitions)
            self.connected = True
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for partition, records in batches.items():
                    self._on_messages([self._message(record) for record in records])
                    self._positions[partition] = records[-1].offset + 1
        finally:
            self.connected = False
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> list[TopicPartition]:
        """The topic's partitions, waiting for the topic to exist (it is created by its first message)."""
        attempt = 0
        while not stop.is_set():
            self._look.clear()
            # A fresh metadata fetch: the consumer's own view only learns of a new topic at its next periodic
            # refresh (up to metadata_max_age_ms later), while the publications topic is created by its first event.
            cluster = await consumer._client.fetch_all_metadata()  # aiokafka has no public equivalent
            found = cluster.partitions_for_topic(self._topic)
            if found:
                log.info("broadcast topic found", extra={"topic": self._topic, "looks": attempt + 1})
                return [TopicPartition(self._topic, p) for p in sorted(found)]
            self.connected = True  # the broker answers; the topic has no message yet
            await _wait_for_any(stop, self._look, topic_wait_seconds(attempt))
            attempt += 1
        return []

    async def _seek(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        fresh = [tp for tp in partitions if tp not in self._positions]
        for tp in partitions:
            if tp in self._positions:
                consumer.seek(tp, self._positions[tp])
        if not fresh:
            return
        ends = await consumer.end_offsets(fresh)  # before the time lookup: nothing can slip between the two
        found = await consumer.offsets_for_times(dict.fromkeys(fresh, self._since_ms))
        for tp in fresh:
            stamp = found.get(tp)
            consumer.seek(tp, stamp.offset if stamp is not None else ends[tp])

    def _message(self, record: Any) -> WireMessage:
        return WireMessage(
            topic=self._logical, key=record.key or b"", value=record.value, headers=tuple(record.headers or ())
        )
