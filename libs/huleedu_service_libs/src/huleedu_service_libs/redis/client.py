"""RedisClient: the atomic operations the services need, with a start/stop lifecycle."""

from __future__ import annotations

import asyncio
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
    client_id: str

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
    """`RedisClient(url, client_id=...)`, then `await start()` before use and `await stop()` at
    shutdown (seed 004). Ordinary commands time out after `command_timeout_seconds`; a blocking
    pop waits its own timeout on a second connection pool whose socket reads are not cut short."""

    def __init__(
        self,
        url: str | None = None,
        client_id: str | None = None,
        command_timeout_seconds: float = 5.0,
    ) -> None:
        # Seed 004 writes RedisClient(client_id=...) and leaves the URL implicit; a default would
        # connect a deployed service to whatever answers on localhost.
        if url is None or client_id is None:
            raise TypeError(
                "RedisClient needs the server's URL and a client_id:"
                " RedisClient(settings.REDIS_URL, client_id='<service>')"
            )
        self.url = url
        self.client_id = client_id
        self.command_timeout_seconds = command_timeout_seconds
        self._redis: redis_asyncio.Redis | None = None
        self._blocking: redis_asyncio.Redis | None = None

    async def start(self) -> None:
        client = self._connect(socket_timeout=self.command_timeout_seconds)
        await client.ping()
        self._redis = client
        self._blocking = self._connect(socket_timeout=None)

    async def stop(self) -> None:
        for client in (self._redis, self._blocking):
            if client is not None:
                await client.aclose()
        self._redis = self._blocking = None

    def _connect(self, socket_timeout: float | None) -> redis_asyncio.Redis:
        return redis_asyncio.Redis.from_url(
            self.url,
            decode_responses=True,
            client_name=self.client_id,
            socket_timeout=socket_timeout,
            socket_connect_timeout=self.command_timeout_seconds,
        )

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
        """Waits up to `timeout_seconds` (> 0) for an element; None when none came."""
        if timeout_seconds <= 0:
            raise ValueError("blpop needs a positive timeout; 0 would block forever")
        self._client()
        assert self._blocking is not None
        # A dead connection must not hang the caller past the wait it asked for.
        async with asyncio.timeout(timeout_seconds + self.command_timeout_seconds):
            popped = await self._blocking.blpop([key], timeout=timeout_seconds)
        return None if popped is None else str(popped[1])

    async def publish(self, channel: str, message: str) -> int:
        return int(await self._client().publish(channel, message))

    async def ping(self) -> bool:
        return bool(await self._client().ping())

    def _client(self) -> redis_asyncio.Redis:
        if self._redis is None:
            raise RedisNotStartedError("RedisClient.start() has not been awaited")
        return self._redis
