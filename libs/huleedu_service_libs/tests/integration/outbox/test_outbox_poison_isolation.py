"""Poison events on the real producer and broker (a topic the broker refuses, an envelope over the
producer's size limit) are dead-lettered after their own attempts; the rows of other keys in the
same batches are published with no attempt counted against them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import EventRelayWorker, OutboxManager, OutboxSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]
MAX_ATTEMPTS = 3
INNOCENT_KEYS = 40


async def _write_poison(engine: AsyncEngine, make_ping: Any, topic: str, **padding: str) -> None:
    envelope = make_ping("poisoned", 1, **padding)
    async with async_sessionmaker(engine)() as session, session.begin():
        await OutboxManager(None).publish_to_outbox(
            session,
            aggregate_type="order",
            aggregate_id="poisoned",
            event_data=envelope,
            topic=topic,
        )


async def _until_dead_lettered(engine: AsyncEngine, timeout: float = 120.0) -> None:
    query = text("SELECT count(*) FROM event_outbox WHERE dead_lettered_at IS NOT NULL")
    for _ in range(int(timeout * 10)):
        async with engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("the poison event was never dead-lettered")


async def _attempts_by_key(engine: AsyncEngine) -> dict[str, tuple[int, int, int]]:
    """Per key: (rows, rows with an attempt counted, rows published)."""
    query = text(
        "SELECT event_key, count(*), count(*) FILTER (WHERE retry_count > 0),"
        " count(*) FILTER (WHERE published_at IS NOT NULL) FROM event_outbox GROUP BY event_key"
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return {key: (total, charged, published) for key, total, charged, published in rows}


async def _relay_until_poison_is_dead(
    engine: AsyncEngine, bus: KafkaBus, settings: OutboxSettings, until_published: Any
) -> None:
    relay = EventRelayWorker(engine, bus, "svc", settings)
    running = asyncio.create_task(relay.run())
    try:
        await _until_dead_lettered(engine)
        await until_published(engine, timeout=60)
    finally:
        await relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await running


@pytest.mark.parametrize("poison", ["refused topic", "too large"])
async def test_a_poison_event_is_charged_its_own_attempts_and_no_one_elses(
    engine: AsyncEngine,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    write_pings: Any,
    make_ping: Any,
    until_published: Any,
    poison: str,
) -> None:
    topic = await kafka_topics.create("poison-isolation", partitions=4)
    innocents = [(f"innocent-{n % INNOCENT_KEYS}", n) for n in range(999)]
    await write_pings(innocents[:300], topic, per_transaction=50)
    if poison == "refused topic":
        # An invalid topic name: the broker answers every metadata request without it.
        await _write_poison(engine, make_ping, "not a valid topic!")
    else:
        await _write_poison(engine, make_ping, topic, padding="x" * 2_000_000)
    await write_pings(innocents[300:], topic, per_transaction=100)
    settings = OutboxSettings(
        max_attempts=MAX_ATTEMPTS,
        backoff_base_seconds=0.05,
        backoff_max_seconds=0.2,
        # Tight: sending the 1,000 rows of a batch one at a time to find the poison took longer,
        # and the innocents it had no time left for were charged an attempt each.
        publish_timeout_seconds=3.0 if poison == "refused topic" else 0.3,
        lanes=1,
    )
    bus = KafkaBus(kafka_bootstrap, "poison", enable_idempotence=kafka_supports_idempotence)
    await bus.start()
    try:
        await _relay_until_poison_is_dead(engine, bus, settings, until_published)
    finally:
        await bus.stop()

    attempts = await _attempts_by_key(engine)
    assert attempts.pop("poisoned") == (1, 1, 0)
    assert all(charged == 0 for _, charged, _ in attempts.values()), attempts
    assert sum(published for _, _, published in attempts.values()) == len(innocents)
    async with engine.connect() as connection:
        retry_count = await connection.scalar(
            text("SELECT retry_count FROM event_outbox WHERE event_key = 'poisoned'")
        )
    assert retry_count == MAX_ATTEMPTS
