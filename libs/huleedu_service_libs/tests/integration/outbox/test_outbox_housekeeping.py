"""Retention of published rows, and the backlog metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.outbox.metrics import outbox_metrics
from huleedu_service_libs.outbox.store import purge_published, transaction

pytestmark = pytest.mark.integration
TOPIC = "outbox.housekeeping"


async def _set_states(engine: AsyncEngine) -> None:
    """seq 1-7 published 10 days ago, 8 published just now, 9 pending, 10 dead 10 days ago."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE event_outbox SET published_at = now() - interval '10 days' WHERE seq <= 7;"
            )
        )
        await connection.execute(text("UPDATE event_outbox SET published_at = now() WHERE seq = 8"))
        await connection.execute(
            text(
                "UPDATE event_outbox SET dead_lettered_at = now() - interval '10 days',"
                " created_at = now() - interval '11 days', retry_count = 5 WHERE seq = 10"
            )
        )


async def _remaining_seqs(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list(
            (await connection.scalars(text("SELECT seq FROM event_outbox ORDER BY seq"))).all()
        )


async def test_only_published_rows_past_retention_are_deleted_in_bounded_batches(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    await write_pings([(f"k{n}", n) for n in range(1, 11)], TOPIC)
    await _set_states(engine)
    settings = settings.model_copy(update={"retention_hours": 24.0, "cleanup_batch_size": 3})

    async with transaction(engine) as connection:
        assert await purge_published(connection, timedelta(hours=24), 3) == 3
    assert await EventRelayWorker(engine, publisher, "svc", settings).purge_published() == 4

    assert await _remaining_seqs(engine) == [8, 9, 10]


async def test_backlog_metrics_count_every_unpublished_row_not_the_batch(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    await write_pings([(f"k{n}", n) for n in range(1, 11)], TOPIC)
    await _set_states(engine)
    registry = CollectorRegistry()
    settings = settings.model_copy(update={"batch_size": 1})
    relay = EventRelayWorker(engine, publisher, "svc", settings, metrics=outbox_metrics(registry))

    await relay.refresh_backlog_metrics()

    def value(name: str) -> float | None:
        return registry.get_sample_value(name, {"service": "svc"})

    assert value("huleedu_outbox_unpublished_events") == 2  # seq 9 and the dead seq 10
    assert value("huleedu_outbox_dead_lettered_events") == 1
    age = value("huleedu_outbox_oldest_unpublished_age_seconds")
    assert age is not None
    assert age > timedelta(days=11).total_seconds() - 60


async def test_publishing_counts_events_by_type_and_observes_their_latency(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    envelopes = await write_pings([("a", 1), ("b", 1), ("a", 2)], TOPIC)
    publisher.refused_event_ids.add(str(envelopes[1].event_id))
    registry = CollectorRegistry()
    relay = EventRelayWorker(engine, publisher, "svc", settings, metrics=outbox_metrics(registry))

    await relay.publish_due_batch()

    labels = {"service": "svc", "event_type": envelopes[0].event_type}
    assert registry.get_sample_value("huleedu_outbox_published_total", labels) == 2
    assert registry.get_sample_value("huleedu_outbox_failed_attempts_total", labels) == 1
    latency = "huleedu_outbox_publish_latency_seconds_count"
    assert registry.get_sample_value(latency, {"service": "svc"}) == 2
