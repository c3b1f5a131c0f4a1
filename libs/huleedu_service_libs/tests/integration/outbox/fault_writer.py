"""A writer process for the fault suite: a state change and its outbox row per transaction.

    python fault_writer.py DATABASE_URL REDIS_URL TOPIC KEY [KEY ...]

Each transaction inserts an `orders` row whose label is the event's id (the committed state) and
the event `{key, n}` in the same transaction, then wakes the relay. Keys are written one
transaction at a time, so a key's commit order is its `n` order. When a commit's outcome is not
known (the server went away during COMMIT), the writer looks for its row before it moves on: `n`
advances only past a committed event. SIGTERM stops it between transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import uuid

import asyncpg
from pydantic import BaseModel
from redis.asyncio import Redis

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.outbox import OutboxEvent, RelayWakeup, insert_outbox_rows

PING_TYPE = "huleedu.outbox_test.ping.v1"
PAUSE_SECONDS = 0.05
# A server that goes away mid-statement surfaces as any of these (asyncpg's protocol state too).
_CONNECTION_LOST = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


class Ping(BaseModel):
    key: str
    n: int


def _event(key: str, n: int) -> EventEnvelope[Ping]:
    return EventEnvelope[Ping](
        event_type=PING_TYPE,
        source_service="fault_writer",
        correlation_id=uuid.uuid4(),
        data=Ping(key=key, n=n),
    )


class Writer:
    def __init__(self, dsn: str, wakeup: RelayWakeup, topic: str) -> None:
        self.dsn, self.wakeup, self.topic = dsn, wakeup, topic
        self.connection: asyncpg.Connection | None = None

    async def commit(self, key: str, n: int) -> bool:
        """True once the event is committed; False if it certainly is not."""
        envelope = _event(key, n)
        label = str(envelope.event_id)
        try:
            connection = await self._connected()
            async with connection.transaction():
                await connection.execute("INSERT INTO orders (label) VALUES ($1)", label)
                await insert_outbox_rows(
                    connection, [OutboxEvent("order", key, envelope, self.topic)]
                )
        except _CONNECTION_LOST:
            await self._drop()
            return await self._committed_after_all(label)
        self.wakeup.committed()
        return True

    async def _committed_after_all(self, label: str) -> bool:
        while True:
            await asyncio.sleep(0.2)
            try:
                connection = await self._connected()
                return bool(
                    await connection.fetchval("SELECT 1 FROM orders WHERE label = $1", label)
                )
            except _CONNECTION_LOST:
                await self._drop()

    async def _connected(self) -> asyncpg.Connection:
        if self.connection is None or self.connection.is_closed():
            self.connection = await asyncpg.connect(self.dsn, timeout=5)
        return self.connection

    async def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.terminate()
        self.connection = None


async def main(dsn: str, redis_url: str, topic: str, keys: list[str]) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    redis = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    writer = Writer(dsn, RelayWakeup(redis, "fault_suite"), topic)
    next_n = dict.fromkeys(keys, 0)
    while not stop.is_set():
        for key in keys:
            if await writer.commit(key, next_n[key]):
                next_n[key] += 1
        await asyncio.sleep(PAUSE_SECONDS)
    await writer.wakeup.flush()
    await redis.aclose()


if __name__ == "__main__":
    database_url, redis_url, topic, *keys = sys.argv[1:]
    asyncio.run(main(database_url, redis_url, topic, keys))
