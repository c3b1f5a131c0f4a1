"""The Dishka provider builds the writer and the relay from a service's own objects."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, make_async_container, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.config.settings import Environment
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import (
    EventRelayWorker,
    OutboxManager,
    OutboxProvider,
    outbox_settings_for,
    wake_key,
)


class ServiceInfrastructure(Provider):
    """What a service provides itself: nothing here connects until used."""

    @provide(scope=Scope.APP)
    async def engine(self) -> AsyncIterator[AsyncEngine]:
        engine = create_async_engine("postgresql+asyncpg://svc@localhost/svc")
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    def bus(self) -> KafkaBus:
        return KafkaBus("localhost:9092", "svc", enable_idempotence=False)

    @provide(scope=Scope.APP)
    async def redis(self) -> AsyncIterator[Redis]:
        client = Redis.from_url("redis://localhost:6379/0")
        yield client
        await client.aclose()


async def test_the_container_builds_one_writer_and_one_relay_sharing_the_wake_up() -> None:
    settings = outbox_settings_for(Environment.TESTING)
    container = make_async_container(ServiceInfrastructure(), OutboxProvider("svc", settings))
    try:
        manager = await container.get(OutboxManager)
        relay = await container.get(EventRelayWorker)
        assert manager is await container.get(OutboxManager)
    finally:
        await container.close()
    assert manager.wakeup is relay.wakeup
    assert relay.wakeup is not None
    assert relay.wakeup.key == wake_key("svc") == "outbox:wake:svc"
    assert (relay.service_name, relay.settings) == ("svc", settings)
