"""Waking the relay after commit (Redis LPUSH/BLPOP), and polling when the channel is gone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import (
    EventRelayWorker,
    OutboxManager,
    OutboxSettings,
    RelayWakeup,
    wake_key,
)
from huleedu_service_libs.testing.embedded import EmbeddedRedis

pytestmark = pytest.mark.integration
SERVICE = "wake_test_service"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def _write(
    engine: AsyncEngine, manager: OutboxManager, envelope: EventEnvelope[Any], topic: str
) -> None:
    async with async_sessionmaker(engine)() as session, session.begin():
        await manager.publish_to_outbox(
            session, aggregate_type="order", aggregate_id="o-1", event_data=envelope, topic=topic
        )


async def test_the_wake_up_is_sent_after_the_commit_and_never_for_a_rollback(
    engine: AsyncEngine, redis: Redis, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    wakeup = RelayWakeup(redis, SERVICE)
    manager = OutboxManager(wakeup)
    sessions = async_sessionmaker(engine)

    async with sessions() as session:
        async with session.begin():
            await manager.publish_to_outbox(
                session, aggregate_type="order", aggregate_id="o-1", event_data=make_ping("o", 1)
            )
            await wakeup.flush()
            assert await redis.llen(wake_key(SERVICE)) == 0  # not before the commit
        await wakeup.flush()
        assert await redis.llen(wake_key(SERVICE)) == 1

        await redis.delete(wake_key(SERVICE))
        await session.begin()
        await manager.publish_to_outbox(
            session, aggregate_type="order", aggregate_id="o-1", event_data=make_ping("o", 2)
        )
        await session.rollback()
        await session.commit()  # a later empty transaction does not inherit the wake-up
    await wakeup.flush()
    assert await redis.llen(wake_key(SERVICE)) == 0


async def test_an_unreachable_redis_never_fails_the_business_transaction(
    engine: AsyncEngine,
    private_redis_server: EmbeddedRedis,
    make_ping: Callable[..., EventEnvelope[Any]],
) -> None:
    client = Redis.from_url(private_redis_server.url, socket_connect_timeout=1)
    private_redis_server.stop()
    wakeup = RelayWakeup(client, SERVICE)
    try:
        await _write(engine, OutboxManager(wakeup), make_ping("o", 1), "outbox.wake")
        await wakeup.flush()
    finally:
        await client.aclose()
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM event_outbox")) == 1


async def test_an_idle_relay_that_never_polls_is_woken_by_a_commit(
    engine: AsyncEngine,
    redis: Redis,
    settings: OutboxSettings,
    kafka_bootstrap: str,
    kafka_supports_idempotence: bool,
    kafka_topics: Any,
    make_ping: Callable[..., EventEnvelope[Any]],
) -> None:
    topic = await kafka_topics.create("wake")
    bus = KafkaBus(kafka_bootstrap, "wake-test", enable_idempotence=kafka_supports_idempotence)
    await bus.start()
    never_polls = settings.model_copy(update={"poll_interval_seconds": 3600.0})
    wakeup = RelayWakeup(redis, SERVICE)
    relay = EventRelayWorker(engine, bus, SERVICE, never_polls, wakeup=wakeup)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # let it go idle first: nothing is due, so it blocks on BLPOP
        envelope = make_ping("o", 1)
        await _write(engine, OutboxManager(wakeup), envelope, topic)
        records = await kafka_topics.read(topic, 1, timeout=20)
    finally:
        await relay.stop()
        await running
        await bus.stop()
    assert [record.value for record in records] == [envelope.model_dump_json().encode()]


async def test_a_burst_of_concurrent_commits_shares_wake_ups_without_losing_one(
    engine: AsyncEngine,
    redis: Redis,
    settings: OutboxSettings,
    publisher: Any,
    make_ping: Callable[..., EventEnvelope[Any]],
) -> None:
    never_polls = settings.model_copy(update={"poll_interval_seconds": 3600.0})
    wakeup = RelayWakeup(redis, SERVICE)
    relay = EventRelayWorker(engine, publisher, SERVICE, never_polls, wakeup=wakeup)
    running = asyncio.create_task(relay.run())
    manager = OutboxManager(wakeup)
    envelopes = [make_ping(f"k{n}", 1) for n in range(40)]
    try:
        for burst in (envelopes[:20], envelopes[20:]):
            await asyncio.gather(*(_write(engine, manager, e, "outbox.burst") for e in burst))
            await wakeup.flush()
        async with asyncio.timeout(20):
            while len(publisher.accepted) < len(envelopes):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await relay.stop()
        await running
    assert sorted(publisher.event_ids()) == sorted(str(e.event_id) for e in envelopes)


class GatedWakeup(RelayWakeup):
    """Redis answers each LPUSH only when the test opens the gate; records, as each starts, how
    many outbox rows are committed (what a relay woken by it would find)."""

    def __init__(self, redis: Redis, engine: AsyncEngine) -> None:
        super().__init__(redis, SERVICE)
        self.engine = engine
        self.gate = asyncio.Event()
        self.committed_at_start: list[int] = []

    async def notify(self) -> None:
        async with self.engine.connect() as connection:
            rows = await connection.scalar(text("SELECT count(*) FROM event_outbox"))
        self.committed_at_start.append(int(rows or 0))
        await self.gate.wait()
        await super().notify()


async def test_commits_made_while_a_wake_up_is_in_flight_share_one_sent_after_them(
    engine: AsyncEngine, redis: Redis, make_ping: Callable[..., EventEnvelope[Any]]
) -> None:
    wakeup = GatedWakeup(redis, engine)
    manager = OutboxManager(wakeup)
    await _write(engine, manager, make_ping("o", 1), "outbox.gated")
    await asyncio.sleep(0.05)  # the first LPUSH is now in flight, held at the gate
    pings = [make_ping("o", n) for n in range(2, 6)]
    await asyncio.gather(*(_write(engine, manager, ping, "outbox.gated") for ping in pings))
    wakeup.gate.set()
    await wakeup.flush()
    # Two LPUSHes for five commits, and the second started once all five were committed.
    assert wakeup.committed_at_start == [1, 5]
    assert await redis.llen(wake_key(SERVICE)) == 1


async def test_without_its_wake_up_channel_the_relay_falls_back_to_polling(
    engine: AsyncEngine,
    private_redis_server: EmbeddedRedis,
    publisher: Any,
    settings: OutboxSettings,
    write_pings: Any,
    until_published: Any,
) -> None:
    client = Redis.from_url(private_redis_server.url, socket_connect_timeout=1)
    private_redis_server.stop()
    relay = EventRelayWorker(
        engine, publisher, SERVICE, settings, wakeup=RelayWakeup(client, SERVICE)
    )
    running = asyncio.create_task(relay.run())
    try:
        envelopes = await write_pings([("a", 1), ("b", 1)], "outbox.polling")
        await until_published(engine)
    finally:
        await relay.stop()
        await running
        await client.aclose()
    assert sorted(publisher.event_ids()) == sorted(str(envelope.event_id) for envelope in envelopes)


async def test_a_commit_on_a_bare_connection_wakes_the_relay_when_told(redis: Redis) -> None:
    wakeup = RelayWakeup(redis, SERVICE)
    await redis.delete(wake_key(SERVICE))
    wakeup.committed()
    wakeup.committed()  # shares the LPUSH in flight or the one after it
    await wakeup.flush()
    assert await redis.lrange(wake_key(SERVICE), 0, -1) == [b"1"]
