"""Claiming due rows for one batch, with what the relay needs to keep the order per key.

Due rows are locked without waiting for rows another relay holds (SKIP LOCKED). For each key
among them, the claim also finds the key's earliest pending row that it did NOT get (held by
another relay, backing off, dead-lettered, or beyond the limit): claimed rows after that row
must wait for it. Rows and these gaps come back as one list (UNION ALL, told apart by `gap`) and
are matched here: a join in SQL is planned as a nested loop whenever the table's statistics are
stale, which turned a 30 ms claim into seconds.

With fresh statistics the opposite goes wrong: the planner cannot estimate the lane filter, takes
it to keep 0.5% of the rows, and so reads a large backlog whole and sorts it (a seq scan and an
external sort, 85 ms per 1,000 rows claimed from 50,000) instead of walking the due index in
order and stopping at the limit (10 ms). The claim's transaction therefore rules out the sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from huleedu_service_libs.kafka.messages import Headers, OutgoingMessage

# Stored as 'infinity': rows parked behind a dead-lettered row wait until it is re-driven.
FOREVER = datetime.max.replace(tzinfo=UTC)

# Only the due index gives the claim's order without a sort; SET LOCAL ends with the transaction.
# The batch's own commit does not wait for its WAL flush (a few ms per batch on a durable server,
# and the next claim waited behind it): a crash may forget the last batches' marks, and their rows
# are published again (duplicates, as after any crash before the mark). Nothing else is at stake:
# a row the relay can see was committed by its writer, whose commit waits for its flush.
_ORDERED_BY_INDEX = (
    "SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off;"
    " SET LOCAL synchronous_commit = off"
)

_CLAIM = """
WITH claimed AS MATERIALIZED (
    SELECT id, seq, event_key, topic, event_type, created_at, retry_count, next_attempt_at,
           -- As bytes: what goes on the wire, encoded by PostgreSQL rather than per row here.
           convert_to(event_data::text, 'UTF8') AS payload,
           convert_to(event_key, 'UTF8') AS key_bytes,
           convert_to(event_type, 'UTF8') AS type_bytes
    FROM event_outbox
    WHERE published_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at <= now()
      -- In bigint: abs() of the int4 minimum (-2147483648) is out of the int4 range.
      AND abs(hashtext(coalesce(event_key, id::text))::bigint) % $2 = $3
    ORDER BY next_attempt_at, seq
    LIMIT $1
    FOR UPDATE SKIP LOCKED
),
first_gap AS MATERIALIZED (
    SELECT keys.event_key, gap.id, gap.seq, gap.next_attempt_at, gap.dead_lettered_at
    FROM (SELECT DISTINCT event_key FROM claimed WHERE event_key IS NOT NULL) AS keys
    CROSS JOIN LATERAL (
        SELECT pending.id, pending.seq, pending.next_attempt_at, pending.dead_lettered_at
        FROM event_outbox AS pending
        WHERE pending.event_key = keys.event_key AND pending.published_at IS NULL
          AND pending.id NOT IN (SELECT id FROM claimed)
        ORDER BY pending.seq
        LIMIT 1
    ) AS gap
)
SELECT false AS gap, seq, event_key, id, topic, event_type, created_at, retry_count, payload,
       now() AS claimed_at, key_bytes, type_bytes, next_attempt_at
FROM claimed
UNION ALL
SELECT true, seq, event_key, id, NULL, NULL, NULL, NULL, NULL,
       CASE WHEN dead_lettered_at IS NULL THEN next_attempt_at ELSE 'infinity' END, NULL, NULL,
       next_attempt_at
FROM first_gap
"""


@dataclass(slots=True)
class ClaimedRow:
    id: UUID
    seq: int
    event_key: str | None
    event_type: str
    created_at: datetime
    retry_count: int
    # Set when an earlier pending row of the same key was not claimed: wait until then.
    blocked_until: datetime | None
    message: OutgoingMessage
    # That earlier row is held by another relay right now: leave this row as it is (no write).
    behind_in_flight: bool = False
    # That earlier row is a dead letter (blocked_until is FOREVER): its id, to confirm it is one.
    behind_dead_letter: UUID | None = None
    # The stored envelope cannot be read (no headers can be made): a failed attempt of its own.
    unreadable: BaseException | None = None


@dataclass(frozen=True)
class Claim:
    now: datetime
    rows: list[ClaimedRow]


@dataclass(frozen=True)
class Lane:
    """A share of the keys: concurrent lanes never hold rows of the same key."""

    index: int = 0
    count: int = 1


ALL_KEYS = Lane()


@dataclass(frozen=True, slots=True)
class Gap:
    """A key's earliest pending row that this claim did not get."""

    id: UUID
    seq: int
    until: datetime  # its next attempt; FOREVER for a dead letter
    due_at: datetime  # its next_attempt_at as stored
    dead: bool


@dataclass(frozen=True, slots=True)
class ClaimShape:
    """What tells a gap another relay holds from one beyond this claim's limit."""

    now: datetime
    full: bool
    last: tuple[datetime, int]  # the (next_attempt_at, seq) of the last row claimed, in order


async def claim_due(
    connection: asyncpg.Connection, batch_size: int, lane: Lane = ALL_KEYS
) -> Claim | None:
    await connection.execute(_ORDERED_BY_INDEX)
    records = await connection.fetch(_CLAIM, batch_size, lane.count, lane.index)
    gaps = {record[2]: _gap(record) for record in records if record[0]}
    rows = sorted((record for record in records if not record[0]), key=lambda record: record[1])
    if not rows:
        return None
    shape = ClaimShape(
        now=rows[0][9],
        full=len(rows) >= batch_size,
        last=max((record[12], record[1]) for record in rows),
    )
    return Claim(now=shape.now, rows=[_claimed_row(record, gaps, shape) for record in rows])


def _gap(record: Any) -> Gap:
    until = _aware(record[9])
    return Gap(id=record[3], seq=record[1], until=until, due_at=record[12], dead=until == FOREVER)


def _claimed_row(record: Any, gaps: dict[str, Gap], shape: ClaimShape) -> ClaimedRow:
    (_, seq, key, row_id, topic, event_type, created_at, retry_count, payload, _,
     key_bytes, type_bytes, _) = record  # fmt: skip
    row = ClaimedRow(
        id=row_id,
        seq=seq,
        event_key=key,
        event_type=event_type,
        created_at=created_at,
        retry_count=retry_count,
        blocked_until=None,
        message=OutgoingMessage(topic, payload, key_bytes, []),
    )
    try:
        row.message.headers.extend(envelope_headers(payload, type_bytes))
    except orjson.JSONDecodeError as error:
        row.unreadable = UnreadableEnvelopeError(f"the stored envelope is not readable: {error}")
    gap = gaps.get(key)
    if gap is not None and gap.seq < seq:
        _wait_behind(row, gap, shape)
    return row


def _wait_behind(row: ClaimedRow, gap: Gap, shape: ClaimShape) -> None:
    """A due gap this claim would have taken, had it not been locked, is another relay's."""
    if gap.dead:
        row.blocked_until, row.behind_dead_letter = FOREVER, gap.id
    elif gap.due_at > shape.now or (shape.full and (gap.due_at, gap.seq) > shape.last):
        # Backing off, or due but beyond this claim's limit: after it in the next claim's order.
        row.blocked_until = gap.until
    else:
        # Parking until a time already past would bring the row straight back (a hot loop).
        row.behind_in_flight = True


class UnreadableEnvelopeError(Exception):
    """The stored envelope is not JSON the relay can read, so no message can be made of it."""


def envelope_headers(payload: bytes, event_type: bytes) -> Headers:
    """The standard headers, read from the stored envelope; a field it lacks is left out.

    Parsed here rather than by PostgreSQL: each `->>` on a JSON column re-reads the whole
    document, and four of them were half the claim's cost in the database (7 of 15 ms per 1,000
    rows); orjson reads it once in about 2 µs.
    """
    envelope = orjson.loads(payload)
    headers: Headers = []
    for name in ("event_id", "event_type", "correlation_id", "source_service"):
        value = event_type if name == "event_type" else envelope.get(name)
        if value is not None:
            headers.append((name, _wire(value)))
    metadata = envelope.get("metadata")
    traceparent = metadata.get("traceparent") if isinstance(metadata, dict) else None
    if traceparent is not None:
        headers.append(("traceparent", _wire(traceparent)))
    return headers


def _wire(value: object) -> bytes:
    """As PostgreSQL's `->>` gives it: a string as it is, any other value as its JSON."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else orjson.dumps(value)


def _aware(moment: datetime) -> datetime:
    """asyncpg reads 'infinity' as a naive datetime.max."""
    return FOREVER if moment.tzinfo is None else moment
