"""KafkaBus.send_batch on a real broker: every message acknowledged, per-key order kept."""

from __future__ import annotations

from collections import defaultdict

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from huleedu_service_libs.kafka import KafkaBus, OutgoingMessage
from huleedu_service_libs.kafka.messages import header_value
from huleedu_service_libs.testing.kafka_topics import KafkaTopics

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _message(topic: str, key: str | None, n: int) -> OutgoingMessage:
    key_bytes = None if key is None else key.encode()
    return OutgoingMessage(topic, f"{key}:{n}".encode(), key_bytes, [("n", str(n).encode())])


async def test_a_large_mixed_batch_arrives_whole_and_in_order_per_key(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("bus", partitions=3)
    messages = [_message(topic, f"key-{n % 40}", n) for n in range(6000)]
    messages += [_message(topic, None, n) for n in range(6000, 6050)]  # keyless ones too

    assert await bus.send_batch(messages) == [None] * len(messages)

    records = await kafka_topics.read(topic, count=len(messages), timeout=30)
    assert len(records) == len(messages)
    by_key: defaultdict[bytes | None, list[int]] = defaultdict(list)
    partitions_of_key: defaultdict[bytes | None, set[int]] = defaultdict(set)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[record.key].append(int(header_value(record.headers, "n") or -1))
        partitions_of_key[record.key].add(record.partition)
    for key, numbers in by_key.items():
        if key is not None:
            assert numbers == sorted(numbers), key  # sent order, within the key's partition
            assert len(partitions_of_key[key]) == 1, key
    assert len({p for key, ps in partitions_of_key.items() if key for p in ps}) == 3


async def test_a_message_over_the_request_size_refuses_the_whole_call(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("bus-large")
    fine, huge = _message(topic, "k", 1), OutgoingMessage(topic, b"x" * 2_000_000, b"k")

    with pytest.raises(MessageSizeTooLargeError):
        await bus.send_batch([fine, huge])

    assert await kafka_topics.read(topic, count=1, timeout=2) == []  # nothing was sent
