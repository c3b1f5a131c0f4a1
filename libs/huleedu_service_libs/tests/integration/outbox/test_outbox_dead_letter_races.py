"""Discarding or re-driving a dead letter while a relay claims new events of the same key never
leaves rows parked for ever with no dead letter ahead of them.

The race: the tool's release (`UPDATE ... SET next_attempt_at = now()` for the key) runs on a
snapshot without the new row; the relay's claim, on a snapshot where the dead letter is not yet
gone, parks the new row behind it for ever; the tool commits. Nothing released that row.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.outbox.dead_letters import discard, redrive

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

# Pending rows waiting for ever with no dead letter of their key ahead: lost to everyone.
STRANDED = text(
    """
    SELECT count(*) FROM event_outbox AS parked
    WHERE parked.published_at IS NULL AND parked.dead_lettered_at IS NULL
      AND parked.next_attempt_at = 'infinity'
      AND NOT EXISTS (
          SELECT 1 FROM event_outbox AS dead
          WHERE dead.event_key = parked.event_key AND dead.seq < parked.seq
            AND dead.published_at IS NULL AND dead.dead_lettered_at IS NOT NULL)
    """
)


async def _dead_letter(engine: AsyncEngine, write_pings: Any, key: str, n: int) -> uuid.UUID:
    """A row as the relay leaves one past its attempt limit."""
    [envelope] = await write_pings([(key, n)], "outbox.dead-race")
    mark = text(
        "UPDATE event_outbox SET dead_lettered_at = now(), retry_count = 5,"
        " last_error = 'MessageSizeTooLargeError: too large'"
        " WHERE event_data->>'event_id' = :event_id RETURNING id"
    )
    async with engine.begin() as connection:
        row_id: uuid.UUID = (
            await connection.execute(mark, {"event_id": str(envelope.event_id)})
        ).scalar_one()
    return row_id


async def _insert_dead_letter(engine: AsyncEngine, key: str) -> uuid.UUID:
    """Written already dead-lettered, so the live relay cannot publish it first."""
    insert = text(
        "INSERT INTO event_outbox (aggregate_type, aggregate_id, event_type, topic, event_key,"
        " event_data, retry_count, dead_lettered_at, last_error)"
        " VALUES ('order', :key, 'ping', 'outbox.dead-race', :key,"
        " json_build_object('event_id', gen_random_uuid()), 5, now(), 'too large')"
        " RETURNING id"
    )
    async with engine.begin() as connection:
        row_id: uuid.UUID = (await connection.execute(insert, {"key": key})).scalar_one()
    return row_id


async def _drain(relay: EventRelayWorker, rounds: int = 40) -> None:
    for _ in range(rounds):
        await relay.publish_due_batch()
        await asyncio.sleep(0.02)


async def _stranded(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count: int = await connection.scalar(STRANDED)
    return count


Operation = Callable[[AsyncConnection, uuid.UUID], Awaitable[object]]


async def _discard(connection: AsyncConnection, row_id: uuid.UUID) -> object:
    return await discard(connection, row_id)


async def _redrive(connection: AsyncConnection, row_id: uuid.UUID) -> object:
    return await redrive(connection, [row_id])


@pytest.mark.parametrize("operation", [_discard, _redrive], ids=["discard", "redrive"])
async def test_a_new_event_claimed_while_the_tool_releases_its_key_is_published(
    engine: AsyncEngine,
    publisher: Any,
    settings: OutboxSettings,
    write_pings: Any,
    operation: Operation,
) -> None:
    """Through the API, with the operator's transaction open while the relay claims."""
    dead = await _dead_letter(engine, write_pings, "hot", 1)
    relay = EventRelayWorker(engine, publisher, "svc", settings)
    async with engine.connect() as operator:
        async with operator.begin():
            await operation(operator, dead)
            [new] = await write_pings([("hot", 2)], "outbox.dead-race")
            during = await relay.publish_due_batch()
        await _drain(relay)

    assert during.claimed == 1
    assert during.published == 0  # it must not overtake the dead letter while that is kept
    assert await _stranded(engine) == 0
    assert str(new.event_id) in publisher.event_ids()


def _cli(database_url: str, *command: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "huleedu_service_libs.outbox.dead_letters"]
    argv += ["--database-url", database_url, *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


async def _write_hot(write_pings: Any, stop: asyncio.Event, written: list[Any]) -> None:
    n = 1000
    while not stop.is_set():
        written += await write_pings([("hot", n)], "outbox.dead-race")
        n += 1
        await asyncio.sleep(0.003)


async def test_the_cli_racing_a_live_relay_on_a_hot_key_strands_nothing(
    engine: AsyncEngine,
    outbox_database: str,
    publisher: Any,
    write_pings: Any,
    until_published: Any,
) -> None:
    """The CLI commits at once (no transaction held open): the window is the tool's own."""
    settings = OutboxSettings(poll_interval_seconds=0.01, batch_size=50)
    relay = EventRelayWorker(engine, publisher, "svc", settings)
    running = asyncio.create_task(relay.run())
    stop, written = asyncio.Event(), list[Any]()
    writing = asyncio.create_task(_write_hot(write_pings, stop, written))
    try:
        for round_number in range(8):
            dead = await _insert_dead_letter(engine, "hot")
            await asyncio.sleep(0.2)  # rows of the key pile up behind it, parked for ever
            command = "discard" if round_number % 2 else "redrive"
            result = await asyncio.to_thread(_cli, outbox_database, command, "--id", str(dead))
            assert result.returncode == 0, result.stderr
        stop.set()
        await writing
        await until_published(engine, timeout=60)
    finally:
        stop.set()
        await relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert await _stranded(engine) == 0
    assert {str(e.event_id) for e in written} <= set(publisher.event_ids())
