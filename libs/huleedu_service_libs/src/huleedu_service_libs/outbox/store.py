"""The relay's other SQL: recording what happened to a batch, and housekeeping.

The relay talks to PostgreSQL through asyncpg on a pooled connection of the service's engine:
at 25,000 events/s a row may cost the relay ~40 us in all, and SQLAlchemy's row processing
alone took ~20 us of it. Each batch is one transaction, so the row locks taken by the claim are
held until the batch is published and marked: a crash in between leaves the rows unpublished,
and they are published again with the same stored envelope (and so the same event_id).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.database import asyncpg_connection

_MARK_PUBLISHED = "UPDATE event_outbox SET published_at = clock_timestamp() WHERE id = ANY($1)"
_RECORD_FAILURE = """
UPDATE event_outbox
SET retry_count = $2, last_error = $3, next_attempt_at = $4,
    dead_lettered_at = CASE WHEN $5 THEN clock_timestamp() END
WHERE id = $1
"""
_PARK = "UPDATE event_outbox SET next_attempt_at = $1 WHERE id = ANY($2)"
# Under a share lock, so a re-drive or discard cannot commit between this check and the commit of
# the rows parked behind the dead letter; one it is changing right now (locked) counts as gone.
_STILL_DEAD = """
SELECT id FROM event_outbox
WHERE id = ANY($1) AND dead_lettered_at IS NOT NULL AND published_at IS NULL
FOR SHARE SKIP LOCKED
"""
_PURGE = """
DELETE FROM event_outbox WHERE id IN (
    SELECT id FROM event_outbox
    WHERE published_at IS NOT NULL AND published_at < now() - $1::interval
    ORDER BY published_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
"""
_BACKLOG = """
SELECT count(*), min(created_at), count(*) FILTER (WHERE dead_lettered_at IS NOT NULL)
FROM event_outbox WHERE published_at IS NULL
"""


@dataclass(frozen=True)
class Failure:
    row_id: uuid.UUID
    event_type: str
    retry_count: int
    error: str
    next_attempt_at: datetime
    dead_lettered: bool


@dataclass(frozen=True)
class Backlog:
    unpublished: int
    oldest_created_at: datetime | None
    dead_lettered: int


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """One transaction on a connection from the engine's pool, used through asyncpg."""
    async with asyncpg_connection(engine) as driver, driver.transaction():
        yield driver


@asynccontextmanager
async def timed_transaction(engine: AsyncEngine) -> AsyncIterator[tuple[asyncpg.Connection, float]]:
    """As `transaction`, with the monotonic time just before its BEGIN: PostgreSQL's now() in it
    is no earlier than that moment."""
    async with asyncpg_connection(engine) as driver:
        began = time.monotonic()
        async with driver.transaction():
            yield driver, began


async def still_dead(connection: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return {record[0] for record in await connection.fetch(_STILL_DEAD, ids)}


async def mark_published(connection: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> None:
    await connection.execute(_MARK_PUBLISHED, ids)


async def record_failures(connection: asyncpg.Connection, failures: Sequence[Failure]) -> None:
    await connection.executemany(
        _RECORD_FAILURE,
        [(f.row_id, f.retry_count, f.error, f.next_attempt_at, f.dead_lettered) for f in failures],
    )


async def park(connection: asyncpg.Connection, until: datetime, ids: Sequence[uuid.UUID]) -> None:
    await connection.execute(_PARK, until, ids)


async def purge_published(
    connection: asyncpg.Connection, retention: timedelta, batch_size: int
) -> int:
    status: str = await connection.execute(_PURGE, retention, batch_size)
    return int(status.split()[-1])  # "DELETE <n>"


async def backlog(connection: asyncpg.Connection) -> Backlog:
    unpublished, oldest, dead = await connection.fetchrow(_BACKLOG)
    return Backlog(unpublished=unpublished, oldest_created_at=oldest, dead_lettered=dead)
