"""@idempotent_consumer on a real Redis, and the database inbox on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from huleedu_service_libs.idempotency import (
    EventInFlightError,
    IdempotencyUnavailableError,
    InboxBase,
    claim_event,
    idempotent_consumer,
)
from huleedu_service_libs.redis import RedisClient

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


async def test_redis_down_means_the_handler_does_not_run(private_redis_server) -> None:
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
