"""RedisClient's operations on a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from huleedu_service_libs.redis import (
    AtomicRedisClientProtocol,
    RedisClient,
    RedisNotStartedError,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[AtomicRedisClientProtocol]:
    real = RedisClient(redis_url, "contract-test", command_timeout_seconds=1)
    await real.start()
    yield real
    await real.stop()


def _key() -> str:
    return f"contract:{uuid4().hex}"


async def test_set_if_absent_claims_once(client: AtomicRedisClientProtocol) -> None:
    key = _key()
    assert await client.set_if_absent(key, "first", 60) is True
    assert await client.set_if_absent(key, "second", 60) is False
    assert await client.get(key) == "first"


async def test_a_ttl_expires_the_value(client: AtomicRedisClientProtocol) -> None:
    key = _key()
    assert await client.set_if_absent(key, "short-lived", 1) is True
    await asyncio.sleep(1.3)
    assert await client.get(key) is None
    assert await client.set_if_absent(key, "again", 60) is True


async def test_set_without_ttl_overwrites_and_keeps(client: AtomicRedisClientProtocol) -> None:
    key = _key()
    await client.set(key, "one", 1)
    await client.set(key, "two")
    await asyncio.sleep(1.3)
    assert await client.get(key) == "two"


async def test_delete_if_equals_only_removes_the_callers_value(
    client: AtomicRedisClientProtocol,
) -> None:
    key = _key()
    await client.set(key, "mine")
    assert await client.delete_if_equals(key, "theirs") is False
    assert await client.get(key) == "mine"
    assert await client.delete_if_equals(key, "mine") is True
    assert await client.get(key) is None
    assert await client.delete_if_equals(key, "mine") is False


async def test_lists_are_first_in_first_out(client: AtomicRedisClientProtocol) -> None:
    key = _key()
    assert await client.lpush(key, "a") == 1
    assert await client.lpush(key, "b") == 2
    # LPUSH adds at the head and BLPOP takes from the head: the newest comes first.
    assert await client.blpop(key, 1) == "b"
    assert await client.blpop(key, 1) == "a"


async def test_blpop_waits_for_a_later_push(client: AtomicRedisClientProtocol) -> None:
    key = _key()

    async def push_later() -> None:
        await asyncio.sleep(0.3)
        await client.lpush(key, "late")

    pusher = asyncio.create_task(push_later())
    assert await client.blpop(key, 5) == "late"
    await pusher


async def test_blpop_returns_none_after_its_timeout(client: AtomicRedisClientProtocol) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await client.blpop(_key(), 1.5) is None
    assert loop.time() - started >= 1.4  # it waited rather than returning at once


async def test_blpop_refuses_a_timeout_that_would_block_forever(
    client: AtomicRedisClientProtocol,
) -> None:
    with pytest.raises(ValueError, match="positive timeout"):
        await client.blpop(_key(), 0)


async def test_publish_and_ping(client: AtomicRedisClientProtocol) -> None:
    assert await client.publish(f"channel:{uuid4().hex}", "hello") == 0  # nobody subscribed
    assert await client.ping() is True


async def test_a_blocking_pop_may_outlast_the_command_timeout(redis_url: str) -> None:
    client = RedisClient(redis_url, "contract-test", command_timeout_seconds=0.5)
    await client.start()
    try:
        assert await client.blpop(_key(), 1.5) is None
    finally:
        await client.stop()


async def test_commands_before_start_say_so(redis_url: str) -> None:
    with pytest.raises(RedisNotStartedError):
        await RedisClient(redis_url, "never-started").get("key")
