"""Reading a shared topic back from the beginning until the record a test waits for arrives."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from common_core.events.codec import decode_envelope
from common_core.events.envelope import EventEnvelope

Predicate = Callable[[EventEnvelope[Any]], bool]


async def wait_for_event(
    bootstrap: str, topic: str, predicate: Predicate, timeout: float = 30.0
) -> tuple[EventEnvelope[Any], Any]:
    """The first envelope on `topic` that satisfies `predicate`, with its record."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    deadline = time.monotonic() + timeout
    try:
        await _assign_from_start(consumer, topic, deadline)
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    envelope = decode_envelope(topic, record.value)
                    if predicate(envelope):
                        return envelope, record
    finally:
        await consumer.stop()
    raise TimeoutError(f"no matching event on {topic} within {timeout} s")


async def _assign_from_start(consumer: AIOKafkaConsumer, topic: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            return
        await consumer.topics()
        await asyncio.sleep(0.2)
    raise TimeoutError(f"topic {topic} never appeared")
