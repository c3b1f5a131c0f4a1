"""Per-user rate limit: a fixed one-minute window counted in Redis (INCR, EXPIRE on first)."""

from __future__ import annotations

import time

import redis.asyncio as redis_asyncio

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, client: redis_asyncio.Redis, per_minute: int) -> None:
        self._client = client
        self._per_minute = per_minute

    async def retry_after(self, user_id: str, now: float | None = None) -> float | None:
        """None while the user is under the limit; else the seconds until the window ends."""
        if self._per_minute == 0:
            return None
        current = time.time() if now is None else now
        window = int(current // WINDOW_SECONDS)
        key = f"api_gateway:rate:{window}:{user_id}"
        async with self._client.pipeline(transaction=False) as pipe:
            # SET NX EX first (not EXPIRE NX, which Redis before 7 lacks): the window's key
            # expires once, whoever comes first.
            pipe.set(key, 0, ex=WINDOW_SECONDS + 1, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        if int(count) <= self._per_minute:
            return None
        return (window + 1) * WINDOW_SECONDS - current
