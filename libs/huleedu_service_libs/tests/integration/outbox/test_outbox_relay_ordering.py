"""Order per key through failures, backoff and dead-lettering (in-memory publisher, real table).

Time is advanced by making waiting rows due in the table, never by sleeping.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.outbox.dead_letters import count_dead_letters, redrive

pytestmark = pytest.mark.integration
TOPIC = "outbox.ordering"


@pytest.fixture
def settings(settings: OutboxSettings) -> OutboxSettings:
    """Backoffs far longer than a test, so only _time_passes makes a retry due."""
    return settings.model_copy(update={"backoff_base_seconds": 60.0, "backoff_max_seconds": 600.0})


async def _time_passes(engine: AsyncEngine) -> None:
    """Every row waiting for a retry (not those behind a dead letter) becomes due."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE event_outbox SET next_attempt_at = now() - interval '1 second'"
                " WHERE published_at IS NULL AND next_attempt_at < 'infinity'"
            )
        )


async def _rows(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT (event_data->'data'->>'key') || (event_data->'data'->>'n') AS name,"
                " published_at IS NOT NULL AS published, retry_count, last_error,"
                " dead_lettered_at IS NOT NULL AS dead, next_attempt_at > now() AS waiting"
                " FROM event_outbox"
            )
        )
        return {row.name: row for row in rows}


def _state(row: Any) -> tuple[bool, int, str | None, bool]:
    return (row.published, row.retry_count, row.last_error, row.waiting)


def _name(value: bytes) -> str:
    data = json.loads(value)["data"]
    return f"{data['key']}{data['n']}"


def _sent(publisher: Any) -> list[str]:
    return [_name(message.value) for message in publisher.accepted]


async def test_a_failed_row_holds_back_its_key_and_not_the_others(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    envelopes = await write_pings([("a", 1), ("b", 1), ("a", 2), ("b", 2)], TOPIC)
    publisher.refused_event_ids.add(str(envelopes[0].event_id))
    relay = EventRelayWorker(engine, publisher, "svc", settings)

    report = await relay.publish_due_batch()

    assert (report.published, report.failed, report.parked) == (2, 1, 1)
    assert _sent(publisher) == ["b1", "b2"]
    rows = await _rows(engine)
    assert _state(rows["a1"]) == (False, 1, "MessageTooLargeError: message too large", True)
    assert _state(rows["a2"]) == (False, 0, None, True)  # parked: no attempt counted


async def test_a_failed_row_is_not_retried_before_its_backoff(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    await write_pings([("a", 1)], TOPIC)
    publisher.down = True
    relay = EventRelayWorker(engine, publisher, "svc", settings)
    assert (await relay.publish_due_batch()).failed == 1

    assert (await relay.publish_due_batch()).claimed == 0
    assert publisher.batches == 1


async def test_after_the_backoff_the_key_resumes_in_order(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    envelopes = await write_pings([("a", 1), ("a", 2), ("b", 1)], TOPIC)
    publisher.refused_event_ids.add(str(envelopes[0].event_id))
    relay = EventRelayWorker(engine, publisher, "svc", settings)
    await relay.publish_due_batch()
    await write_pings([("a", 3), ("b", 2)], TOPIC)  # a3 arrives while a1 backs off
    await relay.publish_due_batch()
    assert _sent(publisher) == ["b1", "b2"]

    publisher.refused_event_ids.clear()
    await _time_passes(engine)
    await relay.publish_due_batch()

    assert _sent(publisher) == ["b1", "b2", "a1", "a2", "a3"]
    assert (await _rows(engine))["a1"].retry_count == 1


async def test_past_the_attempt_limit_a_row_is_dead_lettered_and_redriven_in_order(
    engine: AsyncEngine, write_pings: Any, publisher: Any, settings: OutboxSettings
) -> None:
    envelopes = await write_pings([("a", 1), ("a", 2), ("b", 1)], TOPIC)
    publisher.refused_event_ids.add(str(envelopes[0].event_id))
    relay = EventRelayWorker(
        engine, publisher, "svc", settings.model_copy(update={"max_attempts": 3})
    )
    for _ in range(3):
        await relay.publish_due_batch()
        await _time_passes(engine)
    await write_pings([("a", 3), ("b", 2)], TOPIC)
    await relay.publish_due_batch()

    rows = await _rows(engine)
    assert (rows["a1"].dead, rows["a1"].retry_count) == (True, 3)
    assert rows["a1"].last_error == "MessageTooLargeError: message too large"
    assert (rows["a2"].published, rows["a3"].published) == (False, False)
    assert _sent(publisher) == ["b1", "b2"]
    async with engine.connect() as connection:
        counts = await count_dead_letters(connection)
    assert (counts.dead_lettered, counts.held_back) == (1, 2)

    await _time_passes(engine)
    assert (await relay.publish_due_batch()).claimed == 0  # dead letters are never re-polled

    publisher.refused_event_ids.clear()
    async with engine.begin() as connection:
        assert await redrive(connection, None) == 1
    await relay.publish_due_batch()
    assert _sent(publisher) == ["b1", "b2", "a1", "a2", "a3"]
