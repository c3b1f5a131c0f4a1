"""Dishka providers, small and grouped by scope: process-wide infrastructure (APP), and one
unit of work with its use cases per request or per consumed event (REQUEST)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, from_context, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from huleedu_service_libs.outbox import OutboxManager, RelayWakeup
from services.class_management_service.config import SERVICE_NAME, Settings
from services.class_management_service.domain.review import TimeoutPolicy
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.review import ReviewHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import RosterImportHandler
from services.class_management_service.handlers.students import StudentHandlers
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
)
from services.class_management_service.implementations.clock import SystemClock
from services.class_management_service.implementations.notifier import RedisNotifier
from services.class_management_service.implementations.unit_of_work import SqlAlchemyUnitOfWork
from services.class_management_service.protocols import Clock, Notifier, UnitOfWork


class InfrastructureProvider(Provider):
    """Settings, engine and metrics registry come from the factory that builds the container."""

    scope = Scope.APP
    settings = from_context(provides=Settings)
    engine = from_context(provides=AsyncEngine)
    registry = from_context(provides=CollectorRegistry)

    @provide
    def sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(engine, expire_on_commit=False)

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        # Connects on first use; a Redis outage only delays wake-ups and notifications.
        timeout = settings.NOTIFICATION_TIMEOUT_SECONDS
        client = Redis.from_url(
            settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        yield client
        await client.aclose()

    @provide
    def clock(self) -> Clock:
        return SystemClock()


class EventsProvider(Provider):
    scope = Scope.APP

    @provide
    async def wakeup(self, settings: Settings) -> AsyncIterator[RelayWakeup]:
        # Its own client: the relay blocks in BLPOP for longer than the notification client's
        # short socket timeout allows, which would turn every wait into an error and a poll.
        client = Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=settings.NOTIFICATION_TIMEOUT_SECONDS
        )
        yield RelayWakeup(client, SERVICE_NAME)
        await client.aclose()

    @provide
    def outbox(self, wakeup: RelayWakeup) -> OutboxManager:
        return OutboxManager(wakeup)

    @provide
    def notifier(self, redis: Redis, settings: Settings, registry: CollectorRegistry) -> Notifier:
        return RedisNotifier(redis, settings.NOTIFICATION_TIMEOUT_SECONDS, registry)

    @provide
    def timeout_policy(self, settings: Settings) -> TimeoutPolicy:
        return TimeoutPolicy(
            timeout=timedelta(hours=settings.ASSOCIATION_TIMEOUT_HOURS),
            confidence_threshold=settings.ASSOCIATION_CONFIDENCE_THRESHOLD,
        )


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    @provide
    def unit_of_work(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        notifier: Notifier,
    ) -> UnitOfWork:
        return SqlAlchemyUnitOfWork(engine, sessions, outbox, notifier)

    classes = provide(ClassHandlers)
    students = provide(StudentHandlers)
    roster = provide(RosterHandlers)
    suggestions = provide(SuggestionHandler)

    @provide
    def roster_import(
        self, uow: UnitOfWork, clock: Clock, settings: Settings
    ) -> RosterImportHandler:
        return RosterImportHandler(uow, clock, settings.MAX_IMPORT_ROWS)

    @provide
    def reviews(self, uow: UnitOfWork, clock: Clock) -> ReviewHandlers:
        return ReviewHandlers(uow, clock)

    @provide
    def timeout_monitor(
        self, uow: UnitOfWork, clock: Clock, policy: TimeoutPolicy, settings: Settings
    ) -> AssociationTimeoutMonitor:
        return AssociationTimeoutMonitor(
            uow, clock, policy, settings.ASSOCIATION_MONITOR_BATCH_LIMIT
        )
