"""The relay's SQL: claiming due rows, and recording what happened to them.

All of it runs inside the relay's one transaction per batch, so the row locks taken by the claim
are held until the batch is published and marked: a crash in between leaves the rows unpublished,
and they are published again later with the same stored envelope (and so the same event_id).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from huleedu_service_libs.kafka.messages import Headers, OutgoingMessage

# Stored as 'infinity': rows parked behind a dead-lettered row wait until it is re-driven.
FOREVER = datetime.max.replace(tzinfo=UTC)

# Due rows, locked without waiting for rows another relay holds. For each key among them,
# `first_gap` is its earliest pending row that this claim did NOT get (held by another relay,
# backing off, dead-lettered, or beyond the limit): claimed rows after it must wait for it.
# Claimed rows that wait are parked at that row's next_attempt_at (see batch.py).
_CLAIM = text(
    """
    WITH claimed AS MATERIALIZED (
        SELECT id, seq, event_key, topic, event_type, created_at, retry_count,
               event_data::text AS payload,
               event_data->>'event_id' AS event_id,
               event_data->>'correlation_id' AS correlation_id,
               event_data->>'source_service' AS source_service,
               event_data->'metadata'->>'traceparent' AS traceparent
        FROM event_outbox
        WHERE published_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at <= now()
        ORDER BY next_attempt_at, seq
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    ),
    first_gap AS (
        SELECT keys.event_key, gap.seq AS gap_seq, gap.next_attempt_at AS blocked_until,
               gap.dead_lettered_at IS NOT NULL AS blocked_by_dead_letter
        FROM (SELECT DISTINCT event_key FROM claimed WHERE event_key IS NOT NULL) AS keys
        CROSS JOIN LATERAL (
            SELECT pending.seq, pending.next_attempt_at, pending.dead_lettered_at
            FROM event_outbox AS pending
            WHERE pending.event_key = keys.event_key AND pending.published_at IS NULL
              AND pending.id NOT IN (SELECT id FROM claimed)
            ORDER BY pending.seq
            LIMIT 1
        ) AS gap
    )
    SELECT claimed.*, first_gap.blocked_until, first_gap.blocked_by_dead_letter,
           now() AS claimed_at
    FROM claimed
    LEFT JOIN first_gap
      ON first_gap.event_key = claimed.event_key AND first_gap.gap_seq < claimed.seq
    ORDER BY claimed.seq
    """
)
_MARK_PUBLISHED = text(
    "UPDATE event_outbox SET published_at = clock_timestamp() WHERE id = ANY(:ids)"
)
_RECORD_FAILURE = text(
    """
    UPDATE event_outbox
    SET retry_count = :retry_count, last_error = :error, next_attempt_at = :next_attempt_at,
        dead_lettered_at = CASE WHEN :dead THEN clock_timestamp() END
    WHERE id = :id
    """
)
_PARK = text("UPDATE event_outbox SET next_attempt_at = :until WHERE id = ANY(:ids)")
_SECONDS_UNTIL_DUE = text(
    """
    SELECT EXTRACT(EPOCH FROM min(next_attempt_at) - clock_timestamp())::float8
    FROM event_outbox
    WHERE published_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at < 'infinity'
    """
)
_PURGE = text(
    """
    DELETE FROM event_outbox WHERE id IN (
        SELECT id FROM event_outbox
        WHERE published_at IS NOT NULL AND published_at < now() - CAST(:retention AS interval)
        ORDER BY published_at
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    """
)
_BACKLOG = text(
    """
    SELECT count(*), min(created_at), count(*) FILTER (WHERE dead_lettered_at IS NOT NULL)
    FROM event_outbox WHERE published_at IS NULL
    """
)


@dataclass(frozen=True)
class ClaimedRow:
    id: uuid.UUID
    seq: int
    event_key: str | None
    event_type: str
    created_at: datetime
    retry_count: int
    # Set when an earlier pending row of the same key was not claimed: wait until then.
    blocked_until: datetime | None
    message: OutgoingMessage


@dataclass(frozen=True)
class Claim:
    now: datetime
    rows: list[ClaimedRow]


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


async def claim_due(connection: AsyncConnection, batch_size: int) -> Claim | None:
    result = await connection.execute(_CLAIM, {"batch_size": batch_size})
    rows = result.mappings().all()
    if not rows:
        return None
    return Claim(now=rows[0]["claimed_at"], rows=[_claimed_row(row) for row in rows])


def _claimed_row(values: RowMapping) -> ClaimedRow:
    return ClaimedRow(
        id=values["id"],
        seq=values["seq"],
        event_key=values["event_key"],
        event_type=values["event_type"],
        created_at=values["created_at"],
        retry_count=values["retry_count"],
        blocked_until=FOREVER if values["blocked_by_dead_letter"] else values["blocked_until"],
        message=OutgoingMessage(
            topic=values["topic"],
            value=values["payload"].encode(),
            key=None if values["event_key"] is None else values["event_key"].encode(),
            headers=_headers(values),
        ),
    )


def _headers(values: RowMapping) -> Headers:
    names = ("event_id", "event_type", "correlation_id", "source_service", "traceparent")
    return [(name, str(values[name]).encode()) for name in names if values[name] is not None]


async def mark_published(connection: AsyncConnection, ids: Sequence[uuid.UUID]) -> None:
    await connection.execute(_MARK_PUBLISHED, {"ids": list(ids)})


async def record_failures(connection: AsyncConnection, failures: Sequence[Failure]) -> None:
    await connection.execute(
        _RECORD_FAILURE,
        [
            {
                "id": failure.row_id,
                "retry_count": failure.retry_count,
                "error": failure.error,
                "next_attempt_at": failure.next_attempt_at,
                "dead": failure.dead_lettered,
            }
            for failure in failures
        ],
    )


async def park(connection: AsyncConnection, until: datetime, ids: Sequence[uuid.UUID]) -> None:
    await connection.execute(_PARK, {"until": until, "ids": list(ids)})


async def seconds_until_next_due(connection: AsyncConnection) -> float | None:
    seconds: float | None = await connection.scalar(_SECONDS_UNTIL_DUE)
    return seconds


async def purge_published(
    connection: AsyncConnection, retention: timedelta, batch_size: int
) -> int:
    result = await connection.execute(_PURGE, {"retention": retention, "batch_size": batch_size})
    return result.rowcount


async def backlog(connection: AsyncConnection) -> Backlog:
    unpublished, oldest, dead = (await connection.execute(_BACKLOG)).one()
    return Backlog(unpublished=unpublished, oldest_created_at=oldest, dead_lettered=dead)
