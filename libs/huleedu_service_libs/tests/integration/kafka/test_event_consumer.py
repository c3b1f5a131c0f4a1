"""The consumer runtime against a real broker: commits, retries, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry

from common_core.events.codec import decode_envelope, new_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.idempotency import EventInFlightError
from huleedu_service_libs.kafka import DLQ_SUFFIX, EventConsumer, KafkaBus, RetryPolicy, message_for
from huleedu_service_libs.kafka.messages import header_value
from huleedu_service_libs.testing.kafka_topics import KafkaTopics

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _class_created() -> EventEnvelope[Any]:
    from common_core.events.class_management import ClassCreatedV1

    payload = ClassCreatedV1(
        class_id=uuid4(), owner_user_id="teacher-1", name="9A", course_code="ENG5"
    )
    return new_envelope(payload, source_service="test", correlation_id=uuid4())


async def _send_to(bus: KafkaBus, topic: str, envelope: EventEnvelope[Any]) -> None:
    message = message_for(envelope, key="k")
    redirected = type(message)(topic, message.value, message.key, message.headers)
    assert await bus.send_batch([redirected]) == [None]


async def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _running(consumer: EventConsumer) -> AsyncIterator[None]:
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)


async def _committed(bootstrap: str, group: str, topic: str) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        committed: int | None = await reader.committed(TopicPartition(topic, 0))
        return committed
    finally:
        await reader.stop()


async def test_poison_record_goes_to_dead_letter_and_the_next_one_is_handled(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("poison")
    seen: list[EventEnvelope[Any]] = []

    async def handler(envelope: EventEnvelope[Any]) -> None:
        seen.append(envelope)

    group = kafka_topics.unique("group")
    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=group,
        handlers={topic: handler},
        dead_letter_bus=bus,
        registry=CollectorRegistry(),
        session_timeout_ms=6000,
    )
    good = _class_created()
    poison = type(message_for(good, "k"))(
        topic, b"{not json", b"k", [("event_type", good.event_type.encode())]
    )
    assert await bus.send_batch([poison]) == [None]
    await _send_to(bus, topic, good)
    async with _running(consumer):
        await _wait_for(lambda: len(seen) == 1)
    assert seen[0].event_id == good.event_id
    dead = await kafka_topics.read(topic + DLQ_SUFFIX, count=1)
    assert [record.value for record in dead] == [b"{not json"]
    assert "InvalidEventError" in (header_value(dead[0].headers, "dlq_error") or "")
    assert header_value(dead[0].headers, "dlq_original_offset") == "0"
    assert await _committed(kafka_topics.bootstrap, group, topic) == 2


async def test_failing_handler_is_retried_then_succeeds_once(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("retry")
    runs: list[int] = []
    handled: list[Any] = []

    async def flaky(envelope: EventEnvelope[Any]) -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("transient")
        handled.append(envelope.event_id)

    registry = CollectorRegistry()
    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=kafka_topics.unique("group"),
        handlers={topic: flaky},
        dead_letter_bus=bus,
        registry=registry,
        retry=RetryPolicy(max_attempts=3, base_delay_seconds=0.01),
        session_timeout_ms=6000,
    )
    envelope = _class_created()
    await _send_to(bus, topic, envelope)
    async with _running(consumer):
        await _wait_for(lambda: len(handled) == 1)
    assert len(runs) == 2
    assert handled == [envelope.event_id]
    assert registry.get_sample_value("kafka_handler_failures_total", {"topic": topic}) == 1
    assert registry.get_sample_value("kafka_messages_consumed_total", {"topic": topic}) == 1


async def test_waiting_for_an_in_flight_duplicate_is_not_a_failed_attempt(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("inflight")
    calls: list[int] = []
    handled: list[Any] = []

    async def busy_elsewhere(envelope: EventEnvelope[Any]) -> None:
        calls.append(1)
        if len(calls) <= 4:
            raise EventInFlightError("another delivery is running")
        handled.append(envelope.event_id)

    registry = CollectorRegistry()
    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=kafka_topics.unique("group"),
        handlers={topic: busy_elsewhere},
        dead_letter_bus=bus,
        registry=registry,
        retry=RetryPolicy(max_attempts=2, base_delay_seconds=0.01, in_flight_wait_seconds=0.01),
        session_timeout_ms=6000,
    )
    envelope = _class_created()
    await _send_to(bus, topic, envelope)
    async with _running(consumer):
        await _wait_for(lambda: len(handled) == 1)
    assert handled == [envelope.event_id]
    assert registry.get_sample_value("kafka_handler_failures_total", {"topic": topic}) is None
    assert registry.get_sample_value("kafka_messages_dead_lettered_total", {"topic": topic}) is None


async def test_a_handler_that_keeps_failing_is_dead_lettered_and_the_partition_moves_on(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("exhausted")
    doomed, healthy = _class_created(), _class_created()
    attempts: list[Any] = []
    handled: list[Any] = []

    async def handler(envelope: EventEnvelope[Any]) -> None:
        if envelope.event_id == doomed.event_id:
            attempts.append(envelope.event_id)
            raise ValueError("this class cannot be stored")
        handled.append(envelope.event_id)

    registry = CollectorRegistry()
    group = kafka_topics.unique("group")
    retry = RetryPolicy(max_attempts=3, base_delay_seconds=0.01)
    consumer = _consumer(kafka_topics, group, topic, handler, bus, registry, retry)
    await _send_to(bus, topic, doomed)
    await _send_to(bus, topic, healthy)
    async with _running(consumer):
        await _wait_for(lambda: handled == [healthy.event_id])
    assert len(attempts) == 3
    [dead] = await kafka_topics.read(topic + DLQ_SUFFIX, count=1)
    assert header_value(dead.headers, "event_id") == str(doomed.event_id)  # originals kept
    assert header_value(dead.headers, "dlq_attempts") == "3"
    assert header_value(dead.headers, "dlq_error") == "ValueError: this class cannot be stored"
    assert header_value(dead.headers, "dlq_original_topic") == topic
    assert await _committed(kafka_topics.bootstrap, group, topic) == 2
    labels = {"topic": topic}
    assert registry.get_sample_value("kafka_handler_failures_total", labels) == 3
    assert registry.get_sample_value("kafka_messages_dead_lettered_total", labels) == 1
    assert registry.get_sample_value("kafka_messages_consumed_total", labels) == 1


async def test_stopping_finishes_the_record_in_hand_and_leaves_the_rest_to_the_group(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    topic = await kafka_topics.create("graceful")
    sent = [_class_created() for _ in range(5)]
    for envelope in sent:
        await _send_to(bus, topic, envelope)
    group = kafka_topics.unique("group")
    registry = CollectorRegistry()
    handled: list[Any] = []
    first: EventConsumer

    async def stop_during_the_first(envelope: EventEnvelope[Any]) -> None:
        first.stop()  # a SIGTERM arriving while this record is being handled
        await asyncio.sleep(0.2)
        handled.append(envelope.event_id)

    first = _consumer(kafka_topics, group, topic, stop_during_the_first, bus, registry)
    await asyncio.wait_for(first.run(), timeout=30)
    assert handled == [sent[0].event_id]  # finished, and nothing fetched after it was started
    assert await _committed(kafka_topics.bootstrap, group, topic) == 1
    lag = registry.get_sample_value(
        "kafka_consumer_lag_records", {"topic": topic, "partition": "0"}
    )
    assert lag == 4

    async def record(envelope: EventEnvelope[Any]) -> None:
        handled.append(envelope.event_id)

    successor = _consumer(kafka_topics, group, topic, record, bus, CollectorRegistry())
    async with _running(successor):
        await _wait_for(lambda: len(handled) == 5)
    assert handled == [envelope.event_id for envelope in sent]


def _consumer(
    kafka_topics: KafkaTopics,
    group: str,
    topic: str,
    handler: Any,
    bus: KafkaBus,
    registry: CollectorRegistry,
    retry: RetryPolicy | None = None,
) -> EventConsumer:
    return EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=group,
        handlers={topic: handler},
        dead_letter_bus=bus,
        registry=registry,
        retry=retry,
        session_timeout_ms=6000,
    )


async def test_publish_sends_the_envelope_to_its_topic_with_the_standard_headers(
    bus: KafkaBus, kafka_topics: KafkaTopics
) -> None:
    envelope = _class_created()
    await bus.publish(envelope, key="class-key")

    records = await kafka_topics.read(envelope.event_type, count=10_000, timeout=3)
    [mine] = [r for r in records if header_value(r.headers, "event_id") == str(envelope.event_id)]
    assert mine.key == b"class-key"
    assert header_value(mine.headers, "event_type") == envelope.event_type
    assert header_value(mine.headers, "correlation_id") == str(envelope.correlation_id)
    assert header_value(mine.headers, "source_service") == "test"
    assert decode_envelope(envelope.event_type, mine.value) == envelope
