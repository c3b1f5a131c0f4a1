"""Seed 004's call shapes, written exactly as the seed writes them, on real Redis and Kafka:
`RedisClient(client_id=...)` with start()/stop(), `@idempotent_consumer` on a ConsumerRecord
handler, and `make_resilient(client, breaker)` with a `CircuitBreakerRegistry`. (The outbox's
shapes are in outbox/test_outbox_seed_shapes.py, beside the migrated database they need.)"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from common_core.courses import CourseCode
from common_core.events.class_management import ClassCreatedV1
from common_core.events.codec import new_envelope
from huleedu_service_libs.idempotency import idempotency_key, idempotent_consumer
from huleedu_service_libs.kafka import KafkaBus, message_for
from huleedu_service_libs.redis import AtomicRedisClientProtocol, RedisClient, RedisNotStartedError
from huleedu_service_libs.resilience import (
    BreakerState,
    CircuitBreaker,
    CircuitBreakerRegistry,
    CircuitOpenError,
    make_resilient,
)
from huleedu_service_libs.testing.embedded import EmbeddedRedis
from huleedu_service_libs.testing.kafka_topics import KafkaTopics

pytestmark = pytest.mark.integration


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh each time: the state changes with the clock, which mypy cannot see."""
    return breaker.state


@dataclass(frozen=True)
class Settings:
    REDIS_URL: str
    CIRCUIT_BREAKER_ENABLED: bool = True


def ExternalClientImpl(settings: Settings) -> RedisClient:  # noqa: N802  # the seed's name
    return RedisClient(settings.REDIS_URL, client_id="external_client", command_timeout_seconds=1)


def provide_external_client(
    settings: Settings,
    circuit_breaker_registry: CircuitBreakerRegistry,
) -> RedisClient:
    base_client = ExternalClientImpl(settings)
    if settings.CIRCUIT_BREAKER_ENABLED:
        breaker = circuit_breaker_registry.get("external_client")
        return make_resilient(base_client, breaker)
    return base_client


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[RedisClient]:
    client = RedisClient(redis_url, client_id="service-redis")
    await client.start()
    yield client
    await client.stop()


def test_redis_client_with_only_a_client_id_names_the_explicit_form() -> None:
    with pytest.raises(TypeError, match=r"RedisClient\(settings.REDIS_URL, client_id="):
        RedisClient(client_id="service-redis")


async def test_the_redis_client_lifecycle_of_seed_004(redis_url: str) -> None:
    client = RedisClient(redis_url, client_id="service-redis")
    await client.start()  # REQUIRED before use
    await client.set("seed:lifecycle", "up")
    names = [entry["name"] for entry in await _client_list(redis_url)]
    assert await client.get("seed:lifecycle") == "up"
    assert "service-redis" in names
    await client.stop()  # REQUIRED for cleanup
    with pytest.raises(RedisNotStartedError):
        await client.get("seed:lifecycle")


async def _client_list(redis_url: str) -> list[dict[str, Any]]:
    inspector = Redis.from_url(redis_url)
    try:
        return list(await inspector.client_list())
    finally:
        await inspector.aclose()


async def test_start_fails_on_a_server_that_is_not_there(
    private_redis_server: EmbeddedRedis,
) -> None:
    private_redis_server.stop()
    client = RedisClient(private_redis_server.url, client_id="service-redis")
    with pytest.raises(RedisConnectionError):
        await client.start()


async def _one_record_from_kafka(kafka_bootstrap: str, kafka_topics: KafkaTopics) -> str:
    topic = await kafka_topics.create("seed-idempotent")
    envelope = new_envelope(
        ClassCreatedV1(
            class_id=uuid4(), owner_user_id="t-1", name="9A", course_code=CourseCode.ENG5
        ),
        source_service="class_management_service",
        correlation_id=uuid4(),
    )
    bus = KafkaBus(kafka_bootstrap, "seed-shapes", enable_idempotence=False)
    await bus.start()
    try:
        message = dataclasses.replace(message_for(envelope, "class-1"), topic=topic)
        assert await bus.send_batch([message]) == [None]
    finally:
        await bus.stop()
    return topic


async def test_idempotent_consumer_on_a_consumer_record_handler_runs_once_per_event(
    redis_client: RedisClient, redis_url: str, kafka_bootstrap: str, kafka_topics: KafkaTopics
) -> None:
    topic = await _one_record_from_kafka(kafka_bootstrap, kafka_topics)
    handled: list[int] = []

    @idempotent_consumer(redis_client=redis_client, ttl_seconds=86400)
    async def handle_message(msg: ConsumerRecord[Any, Any]) -> None:
        # Automatically prevents duplicate processing
        handled.append(msg.offset)

    for _ in range(2):  # the record, then its redelivery read afresh from Kafka
        [record] = await kafka_topics.read(topic, 1)
        await handle_message(record)
    assert handled == [0]
    event_id = dict(record.headers)["event_id"].decode()
    key = idempotency_key("service-redis", event_id)
    assert await redis_client.get(key) == "done"
    assert 86000 < await _ttl(redis_url, key) <= 86400


async def _ttl(redis_url: str, key: str) -> int:
    inspector = Redis.from_url(redis_url)
    try:
        return int(await inspector.ttl(key))
    finally:
        await inspector.aclose()


async def test_make_resilient_opens_the_registry_breaker_on_a_real_outage_and_closes_after(
    private_redis_server: EmbeddedRedis,
) -> None:
    clock = FakeClock()
    circuit_breaker_registry = CircuitBreakerRegistry(
        failure_threshold=2, recovery_timeout=30, clock=clock
    )
    client = provide_external_client(Settings(private_redis_server.url), circuit_breaker_registry)
    breaker = circuit_breaker_registry.get("external_client")
    await client.start()
    try:
        await _outage_then_recovery(client, breaker, private_redis_server, clock)
    finally:
        await client.stop()


async def _outage_then_recovery(
    client: AtomicRedisClientProtocol,
    breaker: CircuitBreaker,
    server: EmbeddedRedis,
    clock: FakeClock,
) -> None:
    assert client.client_id == "external_client"  # plain attributes are the client's
    assert await client.ping() is True
    server.stop()
    for _ in range(2):
        with pytest.raises((RedisConnectionError, OSError)):
            await client.get("seed:breaker")
    server.start()
    with pytest.raises(CircuitOpenError, match="'external_client' is open"):
        await client.get("seed:breaker")  # the server is back, but the circuit is not asked
    clock.now += 30
    assert state_of(breaker) is BreakerState.HALF_OPEN
    assert await client.ping() is True  # the trial call succeeds
    assert state_of(breaker) is BreakerState.CLOSED


async def test_seed_004s_make_resilient_with_a_breaker_of_its_own(redis_url: str) -> None:
    client = RedisClient(redis_url, client_id="external_api")
    breaker = CircuitBreaker(name="external_api")
    resilient = make_resilient(client, breaker)
    await resilient.start()
    try:
        await resilient.set("seed:own-breaker", "v")
        assert await resilient.get("seed:own-breaker") == "v"
    finally:
        await resilient.stop()
    assert state_of(breaker) is BreakerState.CLOSED
