"""A key whose hash is the int4 minimum is relayed like any other; retries are scheduled within
the documented backoff range, however long the claim took; an envelope the relay cannot read
is a poison row of its own, not a failed claim for every key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from common_core.timestamps import utc_now
from huleedu_service_libs.kafka import OutgoingMessage
from huleedu_service_libs.outbox import EventRelayWorker, OutboxSettings
from huleedu_service_libs.outbox.claim import Lane

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

# Found offline by brute force over "min-hash-key-<n>" (PostgreSQL's hash_bytes); the first test
# checks it still hashes so. abs() of this hash overflowed int4 and failed every claim.
MIN_HASH_KEY = "min-hash-key-4967686786"
INT4_MIN = -(2**31)


async def test_the_key_hashes_to_the_int4_minimum(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT hashtext(:key)"), {"key": MIN_HASH_KEY}) == (
            INT4_MIN
        )


async def test_a_key_hashing_to_the_int4_minimum_is_relayed_with_every_other_key(
    engine: AsyncEngine, publisher: Any, settings: OutboxSettings, write_pings: Any
) -> None:
    written = await write_pings([("a", 1), (MIN_HASH_KEY, 1), ("b", 1)], "outbox.minhash")
    relay = EventRelayWorker(engine, publisher, "svc", settings)

    report = await relay.publish_due_batch()
    lanes = [await relay.publish_due_batch(Lane(index, 4)) for index in range(4)]

    assert report.published == 3
    assert sorted(publisher.event_ids()) == sorted(str(e.event_id) for e in written)
    assert [lane.claimed for lane in lanes] == [0, 0, 0, 0]


class FailingClock:
    """Kafka refuses everything; remembers when each failure was reported."""

    def __init__(self) -> None:
        self.failed_at: list[datetime] = []

    async def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        self.failed_at.append(utc_now())
        return [ConnectionError("broker unreachable") for _ in messages]


async def _backlog(engine: AsyncEngine, rows: int) -> None:
    """One row per key (each its key's head), written in one statement."""
    insert = text(
        "INSERT INTO event_outbox (aggregate_type, aggregate_id, event_type, topic, event_key,"
        " event_data) SELECT 'order', 'k' || n, 'ping', 'outbox.backoff', 'k' || n,"
        " json_build_object('event_id', gen_random_uuid(), 'padding', repeat('x', 2000))"
        " FROM generate_series(1, :rows) AS n"
    )
    async with engine.begin() as connection:
        await connection.execute(insert, {"rows": rows})
        await connection.execute(text("ANALYZE event_outbox"))


async def test_every_retry_is_scheduled_within_the_backoff_range_after_its_failure(
    engine: AsyncEngine,
) -> None:
    """The delay was counted from the claim's transaction start plus the publish alone: a claim
    of 5,000 rows takes longer than the 5-10 ms delay, so the retry came out in the past."""
    base = 0.01
    settings = OutboxSettings(batch_size=5000, backoff_base_seconds=base, backoff_max_seconds=1.0)
    await _backlog(engine, 5000)
    publisher = FailingClock()

    report = await EventRelayWorker(engine, publisher, "svc", settings).publish_due_batch()

    async with engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT retry_count, next_attempt_at FROM event_outbox"))
        ).all()
    [failed_at] = publisher.failed_at
    assert report.failed == 5000
    assert {row.retry_count for row in rows} == {1}
    earliest = min(row.next_attempt_at for row in rows)
    latest = max(row.next_attempt_at for row in rows)
    assert earliest >= failed_at + timedelta(seconds=base / 2)
    # The upper end, from the failure, with a margin far below any claim's duration for the
    # moment between the failure and its record.
    assert latest < datetime.now(UTC) + timedelta(seconds=base)


async def _unreadable_row(engine: AsyncEngine, key: str) -> None:
    """Valid JSON to PostgreSQL (1e400 is a number), not to the relay (no double holds it)."""
    insert = text(
        "INSERT INTO event_outbox (aggregate_type, aggregate_id, event_type, topic, event_key,"
        " event_data) VALUES ('order', :key, 'ping', 'outbox.unreadable', :key,"
        " CAST(:body AS json))"
    )
    body = f'{{"event_id": "{uuid.uuid4()}", "metadata": {{"weight": 1e400}}}}'
    async with engine.begin() as connection:
        await connection.execute(insert, {"key": key, "body": body})


async def test_an_unreadable_envelope_is_dead_lettered_on_its_own_attempts(
    engine: AsyncEngine, publisher: Any, write_pings: Any
) -> None:
    settings = OutboxSettings(max_attempts=3, backoff_base_seconds=0.01, backoff_max_seconds=0.02)
    await write_pings([("a", 1)], "outbox.unreadable")
    await _unreadable_row(engine, "poisoned")
    behind = await write_pings([("poisoned", 2), ("b", 1)], "outbox.unreadable")
    relay = EventRelayWorker(engine, publisher, "svc", settings)

    dead_lettered = 0
    for _ in range(200):
        dead_lettered += (await relay.publish_due_batch()).dead_lettered
        if dead_lettered:
            break

    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT event_key, retry_count, dead_lettered_at IS NOT NULL AS dead,"
                    " published_at IS NOT NULL AS published, last_error"
                    " FROM event_outbox ORDER BY seq"
                )
            )
        ).all()
    assert [(r.event_key, r.retry_count, r.dead, r.published) for r in rows] == [
        ("a", 0, False, True),
        ("poisoned", 3, True, False),
        ("poisoned", 0, False, False),  # held behind it, no attempt counted
        ("b", 0, False, True),
    ]
    assert "not readable" in rows[1].last_error
    assert str(behind[0].event_id) not in publisher.event_ids()
