"""A Kafka job retries connecting (the worker goes on meanwhile), but a loop that fails once
connected ends the job, so the supervisor ends the process."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from services.file_service.workers.kafka_job import KafkaJob


class Loop:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.started = asyncio.Event()
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        self.started.set()
        if self.fails:
            raise RuntimeError("the consumer died")
        await self.stopping.wait()

    def stop(self) -> None:
        self.stopping.set()


class Broker:
    """Unreachable for the first `refusals` connection attempts."""

    def __init__(self, loop: Loop, refusals: int = 0, error: Exception | None = None) -> None:
        self.loop = loop
        self.refusals = refusals
        self.error = error or KafkaConnectionError("Unable to bootstrap from 127.0.0.1:9")
        self.attempts = 0

    async def connect(self) -> Loop:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise self.error
        return self.loop


async def test_connecting_is_retried_until_kafka_answers_then_the_loop_runs_until_stopped() -> None:
    broker = Broker(Loop(), refusals=3)
    job = KafkaJob("relay", broker.connect, first_retry_seconds=0.001)
    running = asyncio.create_task(job.run())

    await asyncio.wait_for(broker.loop.started.wait(), 5)
    await job.stop()
    await asyncio.wait_for(running, 5)
    assert broker.attempts == 4


async def test_a_stop_while_kafka_is_away_ends_the_job_without_connecting() -> None:
    broker = Broker(Loop(), refusals=1_000)
    job = KafkaJob("relay", broker.connect, first_retry_seconds=3600)
    running = asyncio.create_task(job.run())
    await asyncio.sleep(0)

    await job.stop()
    await asyncio.wait_for(running, 5)
    assert (broker.attempts, broker.loop.started.is_set()) == (1, False)


async def test_a_loop_that_fails_once_connected_is_not_restarted() -> None:
    broker = Broker(Loop(fails=True))
    job = KafkaJob("lock-consumer", broker.connect, first_retry_seconds=0.001)
    with pytest.raises(RuntimeError, match="the consumer died"):
        await asyncio.wait_for(job.run(), 5)
    assert broker.attempts == 1


async def test_a_failure_that_is_not_kafka_being_away_is_not_retried() -> None:
    broker = Broker(Loop(), refusals=1, error=ValueError("bad settings"))
    job = KafkaJob("relay", broker.connect, first_retry_seconds=0.001)
    with pytest.raises(ValueError, match="bad settings"):
        await asyncio.wait_for(job.run(), 5)
    assert broker.attempts == 1
