"""Inspecting and re-driving dead-lettered outbox rows (the runbook's tool).

    python -m huleedu_service_libs.outbox.dead_letters --database-url URL list [--limit N]
    python -m huleedu_service_libs.outbox.dead_letters --database-url URL count
    python -m huleedu_service_libs.outbox.dead_letters --database-url URL redrive --id ID [--id ..]
    python -m huleedu_service_libs.outbox.dead_letters --database-url URL redrive --all
    python -m huleedu_service_libs.outbox.dead_letters --database-url URL discard --id ID

A dead-lettered row holds back the later rows of its key (order per key is kept). Re-driving
gives it a fresh attempt budget and releases its key; discarding prints its envelope, deletes
it and releases the key. Both are safe while relays run: a relay parks rows for ever only behind
a dead letter it has confirmed under a share lock, so one being changed here is never taken
for one that stays (see the README's runbook).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

_LIST = text(
    """
    SELECT id, seq, event_type, event_key, retry_count, dead_lettered_at, last_error,
           event_data->>'event_id' AS event_id
    FROM event_outbox
    WHERE dead_lettered_at IS NOT NULL AND published_at IS NULL
    ORDER BY seq
    LIMIT :limit
    """
)
_COUNT = text(
    """
    SELECT count(*) FILTER (WHERE dead_lettered_at IS NOT NULL),
           count(*) FILTER (WHERE dead_lettered_at IS NULL AND EXISTS (
               SELECT 1 FROM event_outbox AS dead
               WHERE dead.event_key = pending.event_key AND dead.seq < pending.seq
                 AND dead.published_at IS NULL AND dead.dead_lettered_at IS NOT NULL))
    FROM event_outbox AS pending
    WHERE published_at IS NULL
    """
)
_REDRIVE = text(
    """
    UPDATE event_outbox
    SET dead_lettered_at = NULL, retry_count = 0, next_attempt_at = now()
    WHERE dead_lettered_at IS NOT NULL AND published_at IS NULL
      AND (CAST(:every AS boolean) OR id = ANY(:ids))
    RETURNING event_key
    """
)
_DISCARD = text(
    """
    DELETE FROM event_outbox
    WHERE id = :id AND dead_lettered_at IS NOT NULL AND published_at IS NULL
    RETURNING event_key, event_data::text
    """
)
# Rows parked behind a dead-lettered row wait 'forever'; make them due again.
_RELEASE_KEYS = text(
    """
    UPDATE event_outbox SET next_attempt_at = now()
    WHERE published_at IS NULL AND dead_lettered_at IS NULL AND event_key = ANY(:keys)
    """
)


@dataclass(frozen=True)
class DeadLetter:
    id: uuid.UUID
    seq: int
    event_type: str
    event_key: str | None
    retry_count: int
    dead_lettered_at: datetime
    last_error: str | None
    event_id: str | None


@dataclass(frozen=True)
class DeadLetterCounts:
    dead_lettered: int
    held_back: int  # pending rows of the same keys, waiting behind them


async def list_dead_letters(connection: AsyncConnection, limit: int = 100) -> list[DeadLetter]:
    rows = (await connection.execute(_LIST, {"limit": limit})).mappings().all()
    return [DeadLetter(**row) for row in rows]


async def count_dead_letters(connection: AsyncConnection) -> DeadLetterCounts:
    dead, held_back = (await connection.execute(_COUNT)).one()
    return DeadLetterCounts(dead_lettered=dead, held_back=held_back)


async def redrive(connection: AsyncConnection, ids: Sequence[uuid.UUID] | None) -> int:
    """Re-drives the given dead-lettered rows, or all of them when `ids` is None."""
    params = {"every": ids is None, "ids": list(ids or [])}
    keys = (await connection.execute(_REDRIVE, params)).scalars().all()
    await _release(connection, keys)
    return len(keys)


async def discard(connection: AsyncConnection, row_id: uuid.UUID) -> str | None:
    """Deletes one dead-lettered row; returns its envelope JSON, or None if there is none."""
    deleted = (await connection.execute(_DISCARD, {"id": row_id})).one_or_none()
    if deleted is None:
        return None
    await _release(connection, [deleted.event_key])
    envelope: str = deleted.event_data
    return envelope


async def _release(connection: AsyncConnection, keys: Sequence[str | None]) -> None:
    named = sorted({key for key in keys if key is not None})
    if named:
        await connection.execute(_RELEASE_KEYS, {"keys": named})


def _describe(letter: DeadLetter) -> str:
    return (
        f"{letter.id}  seq={letter.seq}  {letter.event_type}  key={letter.event_key}  "
        f"event_id={letter.event_id}  attempts={letter.retry_count}  "
        f"dead_lettered_at={letter.dead_lettered_at.isoformat()}\n    {letter.last_error}"
    )


async def _run(arguments: argparse.Namespace) -> int:
    engine = create_async_engine(arguments.database_url)
    try:
        async with engine.begin() as connection:
            return await _command(connection, arguments)
    finally:
        await engine.dispose()


async def _command(connection: AsyncConnection, arguments: argparse.Namespace) -> int:
    if arguments.command == "list":
        for letter in await list_dead_letters(connection, arguments.limit):
            print(_describe(letter))
    elif arguments.command == "count":
        counts = await count_dead_letters(connection)
        print(f"dead-lettered: {counts.dead_lettered}  held back behind them: {counts.held_back}")
    elif arguments.command == "redrive":
        print(f"re-driven: {await redrive(connection, None if arguments.all else arguments.id)}")
    else:
        return await _discard_command(connection, arguments.id)
    return 0


async def _discard_command(connection: AsyncConnection, row_id: uuid.UUID) -> int:
    envelope = await discard(connection, row_id)
    if envelope is None:
        print(f"no dead-lettered row {row_id}", file=sys.stderr)
        return 1
    print(envelope)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Dead-lettered outbox rows: inspect, re-drive.")
    parser.add_argument("--database-url", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list").add_argument("--limit", type=int, default=100)
    commands.add_parser("count")
    redrive_parser = commands.add_parser("redrive")
    which = redrive_parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=uuid.UUID, action="append")
    which.add_argument("--all", action="store_true")
    commands.add_parser("discard").add_argument("--id", type=uuid.UUID, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(_run(_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
