"""A consumed event continues the trace it was written in, and so do the events its handler
writes."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry

from common_core.events.class_management import ClassCreatedV1
from common_core.events.codec import new_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.kafka import EventConsumer, KafkaBus, OutgoingMessage, message_for
from huleedu_service_libs.observability import current_trace_context
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.tracing import traced

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _envelope() -> EventEnvelope[Any]:
    payload = ClassCreatedV1(class_id=uuid4(), owner_user_id="t-1", name="9A", course_code="ENG5")
    return new_envelope(payload, source_service="writer_service", correlation_id=uuid4())


async def _send(bus: KafkaBus, topic: str, message: OutgoingMessage) -> None:
    redirected = OutgoingMessage(topic, message.value, b"k", message.headers)
    assert await bus.send_batch([redirected]) == [None]


async def _consume_one(consumer: EventConsumer, handled: asyncio.Event) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(handled.wait(), timeout=30)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)


async def test_the_handler_runs_in_a_consumer_span_continuing_the_writers_trace(
    bus: KafkaBus, kafka_topics: KafkaTopics, spans: InMemorySpanExporter
) -> None:
    topic = await kafka_topics.create("traced")
    with traced("writer_service").get_tracer("test").start_as_current_span("write"):
        message = message_for(_envelope(), key="k")
    assert await bus.send_batch([type(message)(topic, message.value, b"k", message.headers)]) == [
        None
    ]
    seen: list[dict[str, str]] = []
    handled = asyncio.Event()

    async def handler(envelope: EventEnvelope[Any]) -> None:
        seen.append(current_trace_context())  # what an event written here would store
        handled.set()

    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=kafka_topics.unique("group"),
        handlers={topic: handler},
        dead_letter_bus=bus,
        registry=CollectorRegistry(),
        session_timeout_ms=6000,
        tracer_provider=traced("reader_service"),
    )
    await _consume_one(consumer, handled)

    by_name: dict[str, ReadableSpan] = {span.name: span for span in spans.get_finished_spans()}
    write, process = by_name["write"], by_name[f"process {topic}"]
    assert process.kind is SpanKind.CONSUMER
    assert process.parent is not None
    assert process.parent.span_id == write.context.span_id
    assert process.context.trace_id == write.context.trace_id
    assert process.resource.attributes["service.name"] == "reader_service"
    assert seen[0]["traceparent"].split("-")[1:3] == [
        f"{process.context.trace_id:032x}",
        f"{process.context.span_id:016x}",
    ]


async def test_without_a_provider_the_handler_runs_in_no_span(
    bus: KafkaBus, kafka_topics: KafkaTopics, spans: InMemorySpanExporter
) -> None:
    topic = await kafka_topics.create("untraced")
    message = message_for(_envelope(), key="k")
    assert await bus.send_batch([type(message)(topic, message.value, b"k", message.headers)]) == [
        None
    ]
    seen: list[dict[str, str]] = []
    handled = asyncio.Event()

    async def handler(envelope: EventEnvelope[Any]) -> None:
        seen.append(current_trace_context())
        handled.set()

    consumer = EventConsumer(
        bootstrap_servers=kafka_topics.bootstrap,
        group_id=kafka_topics.unique("group"),
        handlers={topic: handler},
        dead_letter_bus=bus,
        registry=CollectorRegistry(),
        session_timeout_ms=6000,
    )
    await _consume_one(consumer, handled)

    assert seen == [{}]
    assert spans.get_finished_spans() == ()
