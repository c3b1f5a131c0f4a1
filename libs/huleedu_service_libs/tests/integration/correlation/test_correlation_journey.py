"""One correlation id from an HTTP header, through an event on Kafka, into a consumer's logs."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from dishka import FromDishka, make_async_container
from prometheus_client import CollectorRegistry
from quart import Blueprint
from quart_dishka import QuartProvider, inject
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.events.class_management import ClassCreatedV1
from common_core.events.codec import new_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.app import create_service_app
from huleedu_service_libs.correlation import (
    CORRELATION_NAMESPACE,
    CorrelationContext,
    CorrelationProvider,
)
from huleedu_service_libs.kafka import EventConsumer, KafkaBus, OutgoingMessage, message_for
from huleedu_service_libs.logging_utils import configure_logging, create_service_logger
from huleedu_service_libs.testing.kafka_topics import KafkaTopics

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _publishing_routes(bus: KafkaBus, topic: str) -> Blueprint:
    routes = Blueprint("classes", __name__)

    @routes.post("/v1/classes")
    @inject
    async def create_class(corr: FromDishka[CorrelationContext]) -> tuple[dict[str, str], int]:
        payload = ClassCreatedV1(
            class_id=uuid4(), owner_user_id="teacher-1", name="9A", course_code="ENG5"
        )
        envelope = new_envelope(payload, source_service="demo", correlation_id=corr.uuid)
        sent = message_for(envelope, key=str(payload.class_id))
        await bus.send_batch([OutgoingMessage(topic, sent.value, sent.key, sent.headers)])
        return {"correlation_id": corr.original}, 201

    return routes


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("journey", environment="production", level="INFO", stream=stream)
    yield stream
    configure_logging("tests", environment="development", level="WARNING")


def _log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def test_header_correlation_id_reaches_the_consumer_logs(
    bus: KafkaBus, kafka_topics: KafkaTopics, fresh_database_url: str, json_logs: io.StringIO
) -> None:
    topic = await kafka_topics.create("journey")
    app = create_service_app(
        service_name="journey",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(fresh_database_url),
        blueprints=[_publishing_routes(bus, topic)],
    )
    header = "teacher-request-42"
    async with app.test_app():
        response = await app.test_client().post("/v1/classes", headers={"X-Correlation-ID": header})
    assert response.status_code == 201

    consumer_log = create_service_logger("journey.consumer")
    handled: list[EventEnvelope[Any]] = []
    consumed_one = asyncio.Event()

    async def on_class_created(envelope: EventEnvelope[Any]) -> None:
        consumer_log.info("class created consumed", class_id=str(envelope.data.class_id))
        handled.append(envelope)
        consumed_one.set()

    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=kafka_topics.unique("journey"),
        handlers={topic: on_class_created},
        dead_letter_bus=bus,
        registry=CollectorRegistry(),
        session_timeout_ms=6000,
    )
    runner = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumed_one.wait(), timeout=30)
    finally:
        consumer.stop()
        await runner

    expected = str(uuid5(CORRELATION_NAMESPACE, header))
    consumed = [
        line for line in _log_lines(json_logs) if line.get("event") == "class created consumed"
    ]
    assert handled[0].correlation_id == UUID(expected)
    assert len(consumed) == 1
    assert consumed[0]["correlation_id"] == expected
    assert consumed[0]["original_correlation_id"] == header  # the caller's own string survives
    assert consumed[0]["topic"] == topic
    assert (consumed[0]["partition"], consumed[0]["offset"]) == (0, 0)
    assert consumed[0]["service"] == "journey"
