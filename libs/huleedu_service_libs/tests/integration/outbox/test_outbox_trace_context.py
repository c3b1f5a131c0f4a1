"""The trace context goes with the event: the writer stores the caller's, the relay sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id, format_trace_id
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import header_value
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.testing.tracing import traced

pytestmark = pytest.mark.integration
TOPIC = "outbox.traced"


@pytest.fixture
def provider(spans: InMemorySpanExporter) -> TracerProvider:
    return traced("outbox_test_service")


async def _stored_metadata(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.scalars(text("SELECT event_data FROM event_outbox ORDER BY seq"))
        return [_as_json(row)["metadata"] for row in rows]


def _as_json(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


async def test_the_writer_stores_the_current_span_as_traceparent(
    engine: AsyncEngine, write_pings: Any, provider: TracerProvider
) -> None:
    with provider.get_tracer("test").start_as_current_span("request") as span:
        await write_pings([("a", 1)], TOPIC)
    context = span.get_span_context()

    [metadata] = await _stored_metadata(engine)

    version, trace_id, parent_id, flags = metadata["traceparent"].split("-")
    assert (version, trace_id, parent_id) == (
        "00",
        format_trace_id(context.trace_id),
        format_span_id(context.span_id),
    )
    assert int(flags, 16) & 1  # sampled


async def test_without_a_recorded_span_no_trace_context_is_stored(
    engine: AsyncEngine, write_pings: Any
) -> None:
    await write_pings([("a", 1)], TOPIC)
    assert await _stored_metadata(engine) == [{}]


async def test_the_relay_sends_the_stored_context_not_its_own(
    engine: AsyncEngine,
    write_pings: Any,
    publisher: Any,
    settings: OutboxSettings,
    provider: TracerProvider,
) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("request"):
        await write_pings([("a", 1)], TOPIC)
    [stored] = await _stored_metadata(engine)

    with tracer.start_as_current_span("relay"):
        await EventRelayWorker(engine, publisher, "svc", settings).publish_due_batch()

    [sent] = publisher.accepted
    assert header_value(sent.headers, "traceparent") == stored["traceparent"]
    assert [name for name, _ in sent.headers].count("traceparent") == 1
