"""Waking the worker after an upload commits: one Redis list, at most one pending wake-up."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.exceptions import RedisError

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger(__name__)
MIN_BLOCK_SECONDS = 0.01  # BLPOP with timeout 0 blocks forever


class RedisWorkSignal:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self._in_flight: set[asyncio.Task[None]] = set()

    async def notify(self) -> None:
        """Sent in the background: an upload's response never waits for Redis."""
        task = asyncio.create_task(self._send())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def flush(self) -> None:
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _send(self) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpush(self.key, "1")
                pipe.ltrim(self.key, 0, 0)
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("work wake-up not sent; the worker will poll", error=repr(error))

    async def wait(self, timeout_seconds: float) -> bool:
        """True when woken; Redis errors propagate (the caller falls back to sleeping)."""
        popped = await self.redis.blpop([self.key], timeout=max(timeout_seconds, MIN_BLOCK_SECONDS))
        return popped is not None
