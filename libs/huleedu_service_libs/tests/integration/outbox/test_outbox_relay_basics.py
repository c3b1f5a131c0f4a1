"""The relay against a real table with the in-memory publisher: what it sends and what it marks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import header_value
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings

pytestmark = pytest.mark.integration
TOPIC = "outbox.basics"


async def _unpublished(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count: int = await connection.scalar(
            text("SELECT count(*) FROM event_outbox WHERE published_at IS NULL")
        )
    return count


async def test_a_batch_is_published_verbatim_with_headers_and_marked(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    envelopes = await write_pings([("a", 1), ("b", 1), ("a", 2)], TOPIC)
    relay = EventRelayWorker(engine, publisher, "svc", settings)

    report = await relay.publish_due_batch()

    assert (report.claimed, report.published, report.failed) == (3, 3, 0)
    assert await _unpublished(engine) == 0
    sent = publisher.accepted
    assert [json.loads(m.value)["event_id"] for m in sent] == [str(e.event_id) for e in envelopes]
    assert [m.value for m in sent] == [e.model_dump_json().encode() for e in envelopes]
    assert [(m.topic, m.key) for m in sent] == [(TOPIC, b"a"), (TOPIC, b"b"), (TOPIC, b"a")]
    first = envelopes[0]
    assert {name: header_value(sent[0].headers, name) for name, _ in sent[0].headers} == {
        "event_id": str(first.event_id),
        "event_type": first.event_type,
        "correlation_id": str(first.correlation_id),
        "source_service": first.source_service,
    }


async def test_nothing_due_means_an_empty_report(
    engine: AsyncEngine, publisher: Any, settings: OutboxSettings
) -> None:
    report = await EventRelayWorker(engine, publisher, "svc", settings).publish_due_batch()
    assert report.claimed == 0
    assert publisher.batches == 0


async def test_non_ascii_keys_and_payloads_go_out_byte_for_byte(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    [envelope] = await write_pings([("klass-9Å-Örebro ✓", 1)], TOPIC)

    await EventRelayWorker(engine, publisher, "svc", settings).publish_due_batch()

    [sent] = publisher.accepted
    assert sent.key == "klass-9Å-Örebro ✓".encode()
    assert sent.value == envelope.model_dump_json().encode()
    assert json.loads(sent.value)["data"]["key"] == "klass-9Å-Örebro ✓"
