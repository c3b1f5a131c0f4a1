"""An in-memory stand-in with the same semantics as RedisClient, for unit tests of handlers.

`tests/integration/redis/test_redis_contract.py` runs one suite against both, so the fake cannot
drift from the real server: TTLs expire, a blocking pop waits for a push or its timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque


class InMemoryRedis:
    def __init__(self, client_id: str = "in-memory") -> None:
        self.client_id = client_id
        self.values: dict[str, str] = {}
        self.expires_at: dict[str, float] = {}
        self.lists: defaultdict[str, deque[str]] = defaultdict(deque)
        self.published: list[tuple[str, str]] = []
        self.available = True
        self._pushed = asyncio.Condition()

    async def set_if_absent(self, key: str, value: str, ttl_seconds: int) -> bool:
        self._check()
        if self._live(key) is not None:
            return False
        self._store(key, value, ttl_seconds)
        return True

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        self._check()
        self._store(key, value, ttl_seconds)

    async def get(self, key: str) -> str | None:
        self._check()
        return self._live(key)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        self._check()
        if self._live(key) != value:
            return False
        del self.values[key]
        self.expires_at.pop(key, None)
        return True

    async def lpush(self, key: str, value: str) -> int:
        self._check()
        self.lists[key].appendleft(value)
        async with self._pushed:
            self._pushed.notify_all()
        return len(self.lists[key])

    async def blpop(self, key: str, timeout_seconds: float) -> str | None:
        self._check()
        if timeout_seconds <= 0:
            raise ValueError("blpop needs a positive timeout; 0 would block forever")
        async with self._pushed:
            try:
                await asyncio.wait_for(
                    self._pushed.wait_for(lambda: bool(self.lists[key])), timeout_seconds
                )
            except TimeoutError:
                return None
        return self.lists[key].popleft()

    async def publish(self, channel: str, message: str) -> int:
        self._check()
        self.published.append((channel, message))
        return 0

    async def ping(self) -> bool:
        self._check()
        return True

    def _store(self, key: str, value: str, ttl_seconds: int | None) -> None:
        self.values[key] = value
        if ttl_seconds is None:
            self.expires_at.pop(key, None)
        else:
            self.expires_at[key] = time.monotonic() + ttl_seconds

    def _live(self, key: str) -> str | None:
        expiry = self.expires_at.get(key)
        if expiry is not None and expiry <= time.monotonic():
            del self.values[key], self.expires_at[key]
        return self.values.get(key)

    def _check(self) -> None:
        if not self.available:
            raise ConnectionError("in-memory Redis is marked unavailable")
