"""Reading topics directly from Kafka in tests (no consumer group, from the beginning)."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_topic(bootstrap: str, topic: str, *, expected: int, timeout: float = 30.0) -> list[Any]:
    """Every record of ``topic`` once at least ``expected`` are there (or what there is after ``timeout``)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, metadata_max_age_ms=1000)
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            partitions = await _partitions(consumer, topic)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=300)
                records.extend(record for batch_records in batch.values() for record in batch_records)
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return records


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    while True:
        await consumer.topics()  # refreshes metadata; the topic is created on first publish
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, p) for p in sorted(found)]
        await asyncio.sleep(0.2)
