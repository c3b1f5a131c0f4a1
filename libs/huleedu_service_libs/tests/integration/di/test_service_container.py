"""The library's container: one registry, one writer and one relay sharing the wake-up, the
relay's wake-up client free of the command client's socket timeout, metrics served together."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from pydantic_settings import SettingsConfigDict
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.config import Environment, SecureServiceSettings
from huleedu_service_libs.di import KafkaProvider, RelayProvider, make_service_container
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import (
    EventRelayWorker,
    OutboxManager,
    RelayWakeup,
    outbox_settings_for,
    wake_key,
)

pytestmark = pytest.mark.integration


class KitSettings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KIT_TEST_SERVICE_")


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(fresh_database_url)
    yield engine
    await engine.dispose()


def _settings(
    redis_url: str, kafka: str, idempotence: bool, environment: Environment = Environment.TESTING
) -> KitSettings:
    return KitSettings(
        DATABASE_URL="postgresql+asyncpg://unused/unused",
        REDIS_URL=redis_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka,
        KAFKA_ENABLE_IDEMPOTENCE=idempotence,
        ENVIRONMENT=environment,
        REDIS_SOCKET_TIMEOUT_SECONDS=0.2,
    )


async def test_the_worker_container_shares_its_registry_wakeup_and_settings(
    engine: AsyncEngine, redis_url: str, kafka_bootstrap: str, kafka_supports_idempotence: bool
) -> None:
    settings = _settings(redis_url, kafka_bootstrap, kafka_supports_idempotence)
    container = make_service_container(
        "kit_test_service", settings, engine, KafkaProvider(), RelayProvider(), http=False
    )
    try:
        relay = await container.get(EventRelayWorker)
        manager = await container.get(OutboxManager)
        registry = await container.get(CollectorRegistry)
        assert await container.get(SecureServiceSettings) is settings
        assert (await container.get(EnvelopeFactory)).source_service == "kit_test_service"
        assert (await container.get(Clock)).now().tzinfo is not None
        assert manager.wakeup is relay.wakeup is await container.get(RelayWakeup)
        assert relay.wakeup is not None
        assert relay.wakeup.key == wake_key("kit_test_service")
        relay.metrics.metrics.unpublished.labels("kit_test_service").set(4)
        served = generate_latest(registry)
        assert b'huleedu_outbox_unpublished_events{service="kit_test_service"} 4.0' in served
        assert b"process_cpu_seconds_total" in served
    finally:
        await container.close()


async def test_the_relay_can_wait_longer_than_the_command_socket_timeout(
    engine: AsyncEngine, redis_url: str
) -> None:
    settings = _settings(redis_url, "localhost:1", False, Environment.DEVELOPMENT)
    container = make_service_container("kit_test_service", settings, engine, http=False)
    longest_wait = outbox_settings_for(Environment.DEVELOPMENT).poll_interval_seconds
    try:
        wakeup = await container.get(RelayWakeup)
        commands = await container.get(Redis)
        assert longest_wait > 4 * settings.REDIS_SOCKET_TIMEOUT_SECONDS
        assert await wakeup.wait(longest_wait) is False  # the relay's longest BLPOP
        assert await commands.ping()
    finally:
        await container.close()
