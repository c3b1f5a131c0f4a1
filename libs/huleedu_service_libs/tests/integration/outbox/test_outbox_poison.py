"""A poison event (larger than Kafka accepts) is dead-lettered after the attempt limit with its
error; other keys flow on; the CLI lists, counts, re-drives and finally discards it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import EventRelayWorker, OutboxManager, OutboxSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]
TOO_LARGE = "x" * 2_000_000  # the producer refuses requests over 1 MiB


def _cli(database_url: str, *command: str) -> str:
    argv = [sys.executable, "-m", "huleedu_service_libs.outbox.dead_letters"]
    argv += ["--database-url", database_url, *command]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


async def _poison_row(engine: AsyncEngine) -> Any:
    query = text(
        "SELECT id, retry_count, last_error, dead_lettered_at FROM event_outbox"
        " WHERE event_key = 'poisoned'"
        " ORDER BY seq LIMIT 1"
    )
    async with engine.connect() as connection:
        return (await connection.execute(query)).one()


async def _until_dead_lettered(engine: AsyncEngine) -> Any:
    for _ in range(600):
        row = await _poison_row(engine)
        if row.dead_lettered_at is not None:
            return row
        await asyncio.sleep(0.1)
    raise TimeoutError("the poison event was never dead-lettered")


async def _write_poison(
    engine: AsyncEngine, make_ping: Callable[..., EventEnvelope[Any]], topic: str
) -> EventEnvelope[Any]:
    envelope = make_ping("poisoned", 1, padding=TOO_LARGE)
    async with async_sessionmaker(engine)() as session, session.begin():
        await OutboxManager(None).publish_to_outbox(
            session,
            aggregate_type="order",
            aggregate_id="poisoned",
            event_data=envelope,
            topic=topic,
        )
    return envelope


async def _until_published_count(engine: AsyncEngine, count: int) -> None:
    query = text("SELECT count(*) FROM event_outbox WHERE published_at IS NOT NULL")
    for _ in range(600):
        async with engine.connect() as connection:
            if await connection.scalar(query) >= count:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"fewer than {count} rows were published")


async def test_poison_is_dead_lettered_others_flow_and_the_cli_redrives_it(
    engine: AsyncEngine,
    outbox_database: str,
    settings: OutboxSettings,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    write_pings: Any,
    make_ping: Callable[..., EventEnvelope[Any]],
    read_history: Any,
    until_published: Any,
) -> None:
    topic = await kafka_topics.create("poison", partitions=2)
    await write_pings([("a", 1)], topic)
    await _write_poison(engine, make_ping, topic)
    await write_pings([("poisoned", 2), ("b", 1), ("a", 2)], topic)
    bus = KafkaBus(kafka_bootstrap, "poison", enable_idempotence=kafka_supports_idempotence)
    await bus.start()
    relay = EventRelayWorker(engine, bus, "svc", settings.model_copy(update={"max_attempts": 3}))
    running = asyncio.create_task(relay.run())
    try:
        dead = await _until_dead_lettered(engine)
        await _until_published_count(engine, 3)
        assert (dead.retry_count, dead.last_error.split(":")[0]) == (3, "MessageSizeTooLargeError")
        assert (await read_history(topic)).first_seen_by_key == {"a": [1, 2], "b": [1]}

        assert _cli(outbox_database, "count") == "dead-lettered: 1  held back behind them: 1\n"
        assert str(dead.id) in _cli(outbox_database, "list")
        assert _cli(outbox_database, "redrive", "--id", str(dead.id)) == "re-driven: 1\n"
        redriven = await _until_dead_lettered(engine)  # still too large: 3 more attempts
        assert redriven.dead_lettered_at > dead.dead_lettered_at

        assert '"key":"poisoned","n":1' in _cli(outbox_database, "discard", "--id", str(dead.id))
        await until_published(engine)  # the event held back behind it follows
    finally:
        await relay.stop()
        await running
        await bus.stop()
    history = await read_history(topic)
    assert history.first_seen_by_key == {"a": [1, 2], "b": [1], "poisoned": [2]}
