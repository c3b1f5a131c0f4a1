"""An in-memory stand-in with the same semantics, for unit tests of handlers."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque


class InMemoryRedis:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.lists: defaultdict[str, deque[str]] = defaultdict(deque)
        self.published: list[tuple[str, str]] = []
        self.available = True

    async def set_if_absent(self, key: str, value: str, ttl_seconds: int) -> bool:
        self._check()
        if key in self.values:
            return False
        self.values[key] = value
        return True

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        self._check()
        self.values[key] = value

    async def get(self, key: str) -> str | None:
        self._check()
        return self.values.get(key)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        self._check()
        if self.values.get(key) != value:
            return False
        del self.values[key]
        return True

    async def lpush(self, key: str, value: str) -> int:
        self._check()
        self.lists[key].appendleft(value)
        return len(self.lists[key])

    async def blpop(self, key: str, timeout_seconds: float) -> str | None:
        self._check()
        if not self.lists[key]:
            await asyncio.sleep(0)
            return None
        return self.lists[key].popleft()

    async def publish(self, channel: str, message: str) -> int:
        self._check()
        self.published.append((channel, message))
        return 0

    async def ping(self) -> bool:
        self._check()
        return True

    def _check(self) -> None:
        if not self.available:
            raise ConnectionError("in-memory Redis is marked unavailable")
