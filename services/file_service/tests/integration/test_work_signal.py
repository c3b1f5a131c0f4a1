"""The worker's wake-up on a real Redis: an upload's notify reaches a waiting worker."""

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from services.file_service.implementations.work_signal import RedisWorkSignal

pytestmark = pytest.mark.integration


@pytest.fixture
async def key_and_redis(redis_url: str) -> AsyncIterator[tuple[str, Redis]]:
    redis = Redis.from_url(redis_url)
    yield f"file_service:work:{uuid4().hex}", redis
    await redis.aclose()


async def test_a_notify_wakes_a_waiting_worker(key_and_redis: tuple[str, Redis]) -> None:
    key, redis = key_and_redis
    api, worker = RedisWorkSignal(redis, key), RedisWorkSignal(redis, key)
    waiting = asyncio.create_task(worker.wait(10))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # blocked, not polling

    await api.notify()
    await api.flush()

    assert await asyncio.wait_for(waiting, timeout=5) is True


async def test_many_notifies_leave_one_wake_up_and_silence_times_out(
    key_and_redis: tuple[str, Redis],
) -> None:
    key, redis = key_and_redis
    api, worker = RedisWorkSignal(redis, key), RedisWorkSignal(redis, key)
    for _ in range(25):
        await api.notify()
    await api.flush()

    assert await worker.wait(1) is True
    assert await worker.wait(0.3) is False  # the 25 uploads left a single pending wake-up
