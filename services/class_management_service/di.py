"""The service's own Dishka providers (the library's give the engine's sessions, Redis, the
outbox, envelopes and the clock): process-wide (APP), and one unit of work with its use cases
per request or per consumed event (REQUEST)."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notifier, RedisNotifier
from huleedu_service_libs.unit_of_work import SqlTransactions
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
from services.class_management_service.implementations.unit_of_work import (
    ClassManagementUnitOfWork,
)
from services.class_management_service.metrics import ClassManagementMetrics
from services.class_management_service.protocols import UnitOfWork


class ServiceProvider(Provider):
    scope = Scope.APP

    @provide
    def notifier(self, redis: Redis, settings: Settings, registry: CollectorRegistry) -> Notifier:
        return RedisNotifier(redis, SERVICE_NAME, settings.NOTIFICATION_TIMEOUT_SECONDS, registry)

    @provide
    def metrics(self, registry: CollectorRegistry) -> ClassManagementMetrics:
        return ClassManagementMetrics(registry)

    @provide
    def timeout_policy(self, settings: Settings) -> TimeoutPolicy:
        return TimeoutPolicy(
            timeout=timedelta(hours=settings.ASSOCIATION_TIMEOUT_HOURS),
            confidence_threshold=settings.ASSOCIATION_CONFIDENCE_THRESHOLD,
        )


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    @provide
    def unit_of_work(self, transactions: SqlTransactions, engine: AsyncEngine) -> UnitOfWork:
        return transactions.factory_of(ClassManagementUnitOfWork, engine)()

    classes = provide(ClassHandlers)
    students = provide(StudentHandlers)
    roster = provide(RosterHandlers)
    suggestions = provide(SuggestionHandler)

    @provide
    def reviews(
        self, uow: UnitOfWork, clock: Clock, notifier: Notifier, metrics: ClassManagementMetrics
    ) -> ReviewHandlers:
        return ReviewHandlers(uow, clock, notifier, metrics)

    @provide
    def roster_import(
        self,
        uow: UnitOfWork,
        clock: Clock,
        notifier: Notifier,
        settings: Settings,
        metrics: ClassManagementMetrics,
    ) -> RosterImportHandler:
        return RosterImportHandler(uow, clock, notifier, settings.MAX_IMPORT_ROWS, metrics)

    @provide
    def timeout_monitor(
        self,
        uow: UnitOfWork,
        clock: Clock,
        notifier: Notifier,
        policy: TimeoutPolicy,
        settings: Settings,
        metrics: ClassManagementMetrics,
    ) -> AssociationTimeoutMonitor:
        limit = settings.ASSOCIATION_MONITOR_BATCH_LIMIT
        return AssociationTimeoutMonitor(uow, clock, notifier, policy, limit, metrics)
