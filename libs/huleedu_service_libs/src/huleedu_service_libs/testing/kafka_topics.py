"""Unique Kafka topics per test, and reading back what was published without a group join."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


class KafkaTopics:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.created: list[str] = []

    def unique(self, hint: str) -> str:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"test.{worker}.{hint}.{uuid.uuid4().hex[:10]}"

    async def create(self, hint: str = "topic", partitions: int = 1) -> str:
        name = self.unique(hint)
        await self.create_named(name, partitions)
        return name

    async def create_named(self, name: str, partitions: int = 1) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, replication_factor=1)])
        finally:
            await admin.close()
        self.created.append(name)

    async def read(
        self, topic: str, count: int, timeout: float = 10.0
    ) -> list[ConsumerRecord[Any, Any]]:
        """Every partition from the beginning until `count` records arrived or the time is up."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            return await _read_assigned(consumer, topic, count, timeout)
        finally:
            await consumer.stop()


async def _read_assigned(
    consumer: AIOKafkaConsumer, topic: str, count: int, timeout: float
) -> list[ConsumerRecord[Any, Any]]:
    partitions = await _partitions(consumer, topic, timeout)
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    records: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200)
        for partition_records in batch.values():
            records.extend(partition_records)
    return sorted(records, key=lambda record: (record.partition, record.offset))


async def _partitions(
    consumer: AIOKafkaConsumer, topic: str, timeout: float
) -> list[TopicPartition]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return [TopicPartition(topic, partition) for partition in sorted(partitions)]
        await consumer.topics()  # refreshes the cluster metadata
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topic {topic} has no partitions after {timeout} s")
