"""The library's providers. Every process gets the database sessions, Redis, the envelope
factory, the outbox writer and a clock; worker processes add Kafka and the relay."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from huleedu_service_libs.clock import Clock, SystemClock
from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.di.service import ServiceInfo
from huleedu_service_libs.engines import session_factory
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.observability.instrumentation import trace_redis
from huleedu_service_libs.observability.tracing import tracer_provider_of
from huleedu_service_libs.outbox.metrics import outbox_metrics
from huleedu_service_libs.outbox.relay import EventRelayWorker
from huleedu_service_libs.outbox.settings import outbox_settings_for
from huleedu_service_libs.outbox.wakeup import RelayWakeup
from huleedu_service_libs.outbox.writer import OutboxManager
from huleedu_service_libs.unit_of_work import SqlTransactions


class DatabaseProvider(Provider):
    scope = Scope.APP

    @provide
    def sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return session_factory(engine)

    @provide
    def transactions(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        envelopes: EnvelopeFactory,
    ) -> SqlTransactions:
        return SqlTransactions(sessions, outbox, envelopes)


class RedisProvider(Provider):
    """Connects on first use, so a Redis outage only delays what needs Redis."""

    scope = Scope.APP

    @provide
    async def redis(
        self, settings: SecureServiceSettings, service: ServiceInfo
    ) -> AsyncIterator[Redis]:
        timeout = settings.REDIS_SOCKET_TIMEOUT_SECONDS
        client = Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        # Traced: the command client only; the relay's wake-up client would add a span for
        # every idle BLPOP.
        provider = tracer_provider_of(service.name)
        if provider is not None:
            trace_redis(client, provider)
        yield client
        await client.aclose()

    @provide
    async def wakeup(
        self, settings: SecureServiceSettings, service: ServiceInfo
    ) -> AsyncIterator[RelayWakeup]:
        # Its own client: the relay blocks in BLPOP for up to its poll interval, longer than the
        # command client's timeout allows, which would turn every wait into an error and a poll.
        # Its timeout still bounds a hung Redis, so a wake-up never blocks for good.
        timeout = settings.REDIS_SOCKET_TIMEOUT_SECONDS
        longest_wait = outbox_settings_for(settings.ENVIRONMENT).poll_interval_seconds
        client = Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=longest_wait + timeout,
            socket_connect_timeout=timeout,
        )
        yield RelayWakeup(client, service.name)
        await client.aclose()


class EventsProvider(Provider):
    scope = Scope.APP

    @provide
    def envelopes(self, service: ServiceInfo) -> EnvelopeFactory:
        return EnvelopeFactory(service.name)

    @provide
    def outbox(self, wakeup: RelayWakeup) -> OutboxManager:
        return OutboxManager(wakeup)


class ClockProvider(Provider):
    scope = Scope.APP

    @provide
    def clock(self) -> Clock:
        return SystemClock()


class KafkaProvider(Provider):
    scope = Scope.APP

    @provide
    async def bus(
        self, settings: SecureServiceSettings, service: ServiceInfo
    ) -> AsyncIterator[KafkaBus]:
        bus = KafkaBus(
            settings.KAFKA_BOOTSTRAP_SERVERS, service.name, settings.KAFKA_ENABLE_IDEMPOTENCE
        )
        await bus.start()
        yield bus
        await bus.stop()


class RelayProvider(Provider):
    scope = Scope.APP

    @provide
    def relay(
        self,
        engine: AsyncEngine,
        bus: KafkaBus,
        wakeup: RelayWakeup,
        settings: SecureServiceSettings,
        service: ServiceInfo,
        registry: CollectorRegistry,
    ) -> EventRelayWorker:
        return EventRelayWorker(
            engine,
            bus,
            service.name,
            outbox_settings_for(settings.ENVIRONMENT),
            wakeup=wakeup,
            metrics=outbox_metrics(registry),
        )
