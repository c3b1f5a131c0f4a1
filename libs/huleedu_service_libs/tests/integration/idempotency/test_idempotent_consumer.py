"""@idempotent_consumer on a real Redis, and the database inbox on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from huleedu_service_libs.idempotency import (
    EventInFlightError,
    IdempotencyUnavailableError,
    InboxBase,
    claim_event,
    idempotency_key,
    idempotent_consumer,
)
from huleedu_service_libs.redis import RedisClient
from huleedu_service_libs.testing.embedded import EmbeddedRedis

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Delivery:
    event_id: UUID = field(default_factory=uuid4)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[RedisClient]:
    client = RedisClient(redis_url, "test")
    await client.start()
    yield client
    await client.stop()


async def test_fifty_concurrent_deliveries_have_one_effect(redis_client: RedisClient) -> None:
    effects: list[UUID] = []

    @idempotent_consumer(redis_client=redis_client, service_name="svc")
    async def handle(delivery: Delivery) -> None:
        await asyncio.sleep(0.05)
        effects.append(delivery.event_id)

    delivery = Delivery()

    async def deliver_until_done() -> None:
        while True:
            try:
                await handle(delivery)
                return
            except EventInFlightError:
                await asyncio.sleep(0.01)

    await asyncio.gather(*(deliver_until_done() for _ in range(50)))
    assert effects == [delivery.event_id]


async def test_failure_releases_the_claim_so_the_retry_runs_once_more(
    redis_client: RedisClient,
) -> None:
    runs: list[int] = []

    @idempotent_consumer(redis_client=redis_client, service_name="svc")
    async def handle(delivery: Delivery) -> str:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("first attempt fails")
        return "ok"

    delivery = Delivery()
    with pytest.raises(RuntimeError):
        await handle(delivery)
    assert await handle(delivery) == "ok"
    assert await handle(delivery) is None  # a later duplicate is skipped
    assert len(runs) == 2


async def test_redis_down_means_the_handler_does_not_run(
    private_redis_server: EmbeddedRedis,
) -> None:
    client = RedisClient(private_redis_server.url, "test")
    await client.start()
    runs: list[int] = []

    @idempotent_consumer(redis_client=client, service_name="svc")
    async def handle(delivery: Delivery) -> None:
        runs.append(1)

    private_redis_server.stop()
    try:
        with pytest.raises(IdempotencyUnavailableError):
            await handle(Delivery())
    finally:
        await client.stop()
    assert runs == []


async def test_the_seed_call_shape_keys_by_the_clients_service_and_counts_duplicates(
    redis_client: RedisClient,
) -> None:
    registry = CollectorRegistry()
    runs: list[int] = []

    @idempotent_consumer(redis_client=redis_client, ttl_seconds=86400, registry=registry)
    async def handle(delivery: Delivery) -> None:
        runs.append(1)

    delivery = Delivery()
    for _ in range(3):
        await handle(delivery)
    assert runs == [1]
    key = idempotency_key(redis_client.client_id, str(delivery.event_id))
    assert await redis_client.get(key) == "done"
    assert _outcome(registry, "processed") == 1
    assert _outcome(registry, "duplicate") == 2


async def test_fail_open_runs_a_harmless_handler_while_redis_is_down(
    private_redis_server: EmbeddedRedis,
) -> None:
    client = RedisClient(private_redis_server.url, "svc", command_timeout_seconds=1)
    await client.start()
    registry = CollectorRegistry()

    @idempotent_consumer(redis_client=client, fail_open=True, registry=registry)
    async def refresh_cache(delivery: Delivery) -> str:
        return "refreshed"

    private_redis_server.stop()
    try:
        assert await refresh_cache(Delivery()) == "refreshed"
    finally:
        await client.stop()
        private_redis_server.start()
    assert _outcome(registry, "unavailable", service="svc") == 1


async def test_redis_lost_after_the_effect_does_not_fail_the_delivery(
    private_redis_server: EmbeddedRedis,
) -> None:
    client = RedisClient(private_redis_server.url, "svc", command_timeout_seconds=1)
    await client.start()
    effects: list[UUID] = []

    @idempotent_consumer(redis_client=client)
    async def handle(delivery: Delivery) -> str:
        effects.append(delivery.event_id)
        private_redis_server.stop()  # gone before the decorator can mark the event done
        return "applied"

    delivery = Delivery()
    try:
        # Raising here would have the runtime redeliver an event whose effect already happened.
        assert await handle(delivery) == "applied"
    finally:
        await client.stop()
        private_redis_server.start()
    assert effects == [delivery.event_id]


async def test_a_failing_handler_keeps_its_own_error_when_redis_is_lost_too(
    private_redis_server: EmbeddedRedis,
) -> None:
    client = RedisClient(private_redis_server.url, "svc", command_timeout_seconds=1)
    await client.start()

    @idempotent_consumer(redis_client=client)
    async def handle(delivery: Delivery) -> None:
        private_redis_server.stop()
        raise LookupError("the handler's own failure")

    try:
        with pytest.raises(LookupError, match="own failure"):
            await handle(Delivery())
    finally:
        await client.stop()
        private_redis_server.start()


def _outcome(registry: CollectorRegistry, outcome: str, service: str = "test") -> float | None:
    labels = {"service": service, "outcome": outcome}
    return registry.get_sample_value("huleedu_idempotency_outcomes_total", labels)


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    database = create_async_engine(fresh_database_url)
    async with database.begin() as connection:
        await connection.run_sync(InboxBase.metadata.create_all)
        await connection.execute(text("CREATE TABLE effects (event_id uuid)"))
    yield database
    await database.dispose()


async def _apply_once(engine: AsyncEngine, event_id: UUID, fail: bool = False) -> bool:
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        if not await claim_event(session, "test.handler", event_id):
            return False
        await session.execute(text("INSERT INTO effects VALUES (:id)"), {"id": event_id})
        if fail:
            raise RuntimeError("effect failed")
    return True


async def _effects(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM effects"))).scalar_one())


async def test_inbox_makes_a_redelivery_a_no_op(engine: AsyncEngine) -> None:
    event_id = uuid4()
    assert await _apply_once(engine, event_id) is True
    assert await _apply_once(engine, event_id) is False
    assert await _effects(engine) == 1


async def test_inbox_claim_rolls_back_with_the_effects(engine: AsyncEngine) -> None:
    event_id = uuid4()
    with pytest.raises(RuntimeError):
        await _apply_once(engine, event_id, fail=True)
    assert await _effects(engine) == 0
    assert await _apply_once(engine, event_id) is True
    assert await _effects(engine) == 1
