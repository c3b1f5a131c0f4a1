"""RedisClient: the atomic operations the services need, with a start/stop lifecycle."""

from __future__ import annotations

from typing import Protocol

import redis.asyncio as redis_asyncio

# Deletes the key only if it still holds the caller's value (release of a claim).
_DELETE_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class AtomicRedisClientProtocol(Protocol):
    async def set_if_absent(self, key: str, value: str, ttl_seconds: int) -> bool: ...
    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def delete_if_equals(self, key: str, value: str) -> bool: ...
    async def lpush(self, key: str, value: str) -> int: ...
    async def blpop(self, key: str, timeout_seconds: float) -> str | None: ...
    async def publish(self, channel: str, message: str) -> int: ...
    async def ping(self) -> bool: ...


class RedisNotStartedError(RuntimeError):
    pass


class RedisClient:
    def __init__(self, url: str, client_id: str) -> None:
        self.url = url
        self.client_id = client_id
        self._redis: redis_asyncio.Redis | None = None

    async def start(self) -> None:
        client = redis_asyncio.Redis.from_url(
            self.url, decode_responses=True, client_name=self.client_id, socket_timeout=5
        )
        await client.ping()
        self._redis = client

    async def stop(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def set_if_absent(self, key: str, value: str, ttl_seconds: int) -> bool:
        return bool(await self._client().set(key, value, ex=ttl_seconds, nx=True))

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        await self._client().set(key, value, ex=ttl_seconds)

    async def get(self, key: str) -> str | None:
        value = await self._client().get(key)
        return None if value is None else str(value)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        deleted = await self._client().eval(_DELETE_IF_EQUALS, 1, key, value)
        return bool(deleted)

    async def lpush(self, key: str, value: str) -> int:
        return int(await self._client().lpush(key, value))

    async def blpop(self, key: str, timeout_seconds: float) -> str | None:
        popped = await self._client().blpop([key], timeout=timeout_seconds)
        return None if popped is None else str(popped[1])

    async def publish(self, channel: str, message: str) -> int:
        return int(await self._client().publish(channel, message))

    async def ping(self) -> bool:
        return bool(await self._client().ping())

    def _client(self) -> redis_asyncio.Redis:
        if self._redis is None:
            raise RedisNotStartedError("RedisClient.start() has not been awaited")
        return self._redis
