"""Two relays, the broker paused (SIGSTOP) while events keep being written: the relay that is not
stuck in a publish leaves the rows behind the other's in-flight keys alone, instead of parking
them until a time already past and claiming them again at once (~5,900 row updates a second
before the fix). After the broker resumes, everything is published in order per key."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.testing.embedded import EmbeddedKafka

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]
KEYS = [f"stalled-{n}" for n in range(4)]
PAUSE_SECONDS = 8
# Per stalled key: a row written once a second, each re-parked at most once per failed attempt
# of its key's head (one per publish timeout): a few updates a second; the hot loop, hundreds.
MAX_UPDATES_PER_SECOND_PER_KEY = 10

COUNT_UPDATES = """
CREATE TABLE outbox_updates (event_key text, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION count_outbox_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO outbox_updates (event_key) VALUES (NEW.event_key); RETURN NEW; END $$;
CREATE TRIGGER count_outbox_update AFTER UPDATE ON event_outbox
FOR EACH ROW EXECUTE FUNCTION count_outbox_update();
"""


@pytest.fixture
def pausable_broker(tmp_path: Path) -> Iterator[EmbeddedKafka]:
    """A broker of this test's own: the session's is shared with other tests."""
    broker = EmbeddedKafka(tmp_path)
    broker.start()
    yield broker
    with contextlib.suppress(ProcessLookupError):
        os.kill(broker.server.pid, signal.SIGCONT)
    broker.stop()


async def _updates_per_key(engine: AsyncEngine, since: Any, until: Any) -> dict[str, int]:
    query = text(
        "SELECT event_key, count(*) FROM outbox_updates WHERE at >= :since AND at < :until"
        " GROUP BY event_key"
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query, {"since": since, "until": until})).all()
    return {key: int(count) for key, count in rows}


async def _now(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT clock_timestamp()"))


async def test_two_relays_with_the_broker_paused_do_not_spin_on_in_flight_keys(
    engine: AsyncEngine,
    pausable_broker: EmbeddedKafka,
    write_pings: Any,
    read_history: Any,
    until_published: Any,
) -> None:
    broker, bootstrap = pausable_broker.server, pausable_broker.bootstrap
    settings = OutboxSettings(
        poll_interval_seconds=0.2,
        batch_size=100,
        lanes=1,
        max_attempts=100,
        backoff_base_seconds=0.5,
        backoff_max_seconds=1.0,
        # Long enough that one relay is stuck in a publish while the other is free to claim.
        publish_timeout_seconds=6.0,
    )
    buses = [KafkaBus(bootstrap, f"relay-{n}", enable_idempotence=False) for n in range(2)]
    for bus in buses:
        await bus.start()
    relays = [EventRelayWorker(engine, bus, "svc", settings) for bus in buses]
    running = [asyncio.create_task(relay.run()) for relay in relays]
    written = await write_pings([(key, 0) for key in KEYS], "outbox.paused")
    try:
        await until_published(engine, timeout=60)  # the topic exists, metadata is cached
        async with engine.begin() as connection:
            for statement in COUNT_UPDATES.split(";\n"):
                await connection.execute(text(statement))
        os.kill(broker.pid, signal.SIGSTOP)
        window_start = None
        for n in range(1, PAUSE_SECONDS + 1):
            # One transaction: the first claim takes the head of every key at once.
            written += await write_pings([(key, n) for key in KEYS], "outbox.paused", 4)
            if n == 2:
                window_start = await _now(engine)
            await asyncio.sleep(1.0)
        window_end = await _now(engine)
        updates = await _updates_per_key(engine, window_start, window_end)
        os.kill(broker.pid, signal.SIGCONT)
        await until_published(engine, timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(broker.pid, signal.SIGCONT)
        for relay in relays:
            await relay.stop()
        await asyncio.gather(*running, return_exceptions=True)
        for bus in buses:
            await bus.stop()

    seconds = (window_end - window_start).total_seconds()
    rates = {key: updates.get(key, 0) / seconds for key in KEYS}
    assert max(rates.values()) < MAX_UPDATES_PER_SECOND_PER_KEY, rates
    history = await read_history("outbox.paused", bootstrap)
    assert history.event_ids() == {str(envelope.event_id) for envelope in written}
    assert history.keys_out_of_order() == []
