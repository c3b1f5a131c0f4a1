"""The worker on real PostgreSQL, Redis and Kafka: exactly-once charging and the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import uuid4

import pytest
import redis.asyncio as redis_asyncio
from aiokafka.errors import TopicAlreadyExistsError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from common_core.domain_enums import CreditSubjectType
from common_core.events.codec import encode_envelope, new_envelope
from common_core.events.entitlements import ResourceConsumptionV1
from common_core.events.registry import ProcessingEvent, topic_name
from common_core.timestamps import utc_now
from huleedu_service_libs.kafka import EventConsumer, KafkaBus, OutgoingMessage, envelope_headers
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.handlers.admin import Adjustment, Admin
from services.entitlements_service.tests.support.fixtures import settings_for
from services.entitlements_service.tests.support.paths import SERVICE_DIR
from services.entitlements_service.worker_main import build_worker_container

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def _wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def test_a_consumption_event_delivered_three_times_is_charged_once_and_announced(
    migrated_database: Callable[[Path], Awaitable[str]],
    redis_url: str,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: KafkaTopics,
) -> None:
    topic = await kafka_topics.create("resource-consumption")
    usage_topic = topic_name(ProcessingEvent.USAGE_RECORDED)
    with contextlib.suppress(TopicAlreadyExistsError):
        await kafka_topics.create_named(usage_topic)
    settings = settings_for(
        await migrated_database(SERVICE_DIR),
        redis_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        KAFKA_ENABLE_IDEMPOTENCE=kafka_supports_idempotence,
        RESOURCE_CONSUMPTION_TOPIC=topic,
        CONSUMER_GROUP_ID=f"entitlements-test-{uuid4().hex[:8]}",
    )
    container = build_worker_container(settings)
    engine = create_async_engine(settings.DATABASE_URL)
    admin = await container.get(Admin)
    await admin.adjust(Adjustment(Subject.user("t1"), "test", "grant", delta=100), uuid4())
    correlation = uuid4()
    event = new_envelope(
        ResourceConsumptionV1(
            user_id="t1",
            metric="cj_comparison",
            quantity=7,
            idempotency_key=f"cj-batch-{uuid4().hex}",
            resource_id="assessment-1",
            consumed_at=utc_now(),
        ),
        source_service="cj_assessment_service",
        correlation_id=correlation,
    )
    message = OutgoingMessage(topic, encode_envelope(event), b"t1", envelope_headers(event))
    producer = KafkaBus(kafka_bootstrap, "test-producer", kafka_supports_idempotence)
    await producer.start()
    consumer = await container.get(EventConsumer)
    relay = await container.get(EventRelayWorker)
    consuming = asyncio.create_task(consumer.run())
    relaying = asyncio.create_task(relay.run())
    try:
        await producer.send_batch([message])
        await _wait_for(lambda: _consumed(consumer, topic, 1))
        flusher = redis_asyncio.Redis.from_url(redis_url)
        await flusher.flushdb()  # whatever Redis knew is gone; the database inbox remains
        await flusher.aclose()
        await producer.send_batch([message, message])
        await _wait_for(lambda: _consumed(consumer, topic, 3))

        async with engine.connect() as connection:
            charges = (
                await connection.execute(
                    text("SELECT delta FROM credit_ledger WHERE reason = 'consumption'")
                )
            ).all()
            balance = (
                await connection.execute(
                    text("SELECT balance FROM credit_balances WHERE subject_id = 't1'")
                )
            ).scalar_one()
        assert [row.delta for row in charges] == [-7]
        assert balance == 50 + 100 - 7

        records = await kafka_topics.read(usage_topic, count=1000, timeout=15)
        mine = [json.loads(r.value) for r in records if _correlation(r.value) == str(correlation)]
        assert len(mine) == 1
        assert mine[0]["data"]["credits_charged"] == 7
        assert mine[0]["data"]["charged_subject_type"] == CreditSubjectType.USER.value
    finally:
        consumer.stop()
        await relay.stop()
        await asyncio.gather(consuming, relaying, return_exceptions=True)
        await producer.stop()
        worker_engine = await container.get(AsyncEngine)
        await container.close()
        await worker_engine.dispose()
        await engine.dispose()


async def _consumed(consumer: EventConsumer, topic: str, count: int) -> bool:
    consumed: float = consumer.metrics.consumed.labels(topic)._value.get()
    return consumed >= count


def _correlation(raw: bytes) -> str | None:
    try:
        return str(json.loads(raw).get("correlation_id"))
    except ValueError:
        return None
