"""This service's Dishka providers: its storage adapters and its use cases. Sessions, Redis, the
outbox writer and wake-up, the envelope factory and the clock come from the library's providers
(`make_service_container`). Everything here lives for the process."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import RelayWakeup
from huleedu_service_libs.unit_of_work import SqlTransactions
from services.entitlements_service.config import Settings
from services.entitlements_service.handlers.admin import Admin
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits
from services.entitlements_service.handlers.queries import TeacherQueries
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage
from services.entitlements_service.handlers.support import HoldLimits
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.implementations.redis_rate_limits import RedisRateLimitStore
from services.entitlements_service.implementations.sql_charges import AutocommitCharges
from services.entitlements_service.implementations.unit_of_work import EntitlementsUnitOfWork
from services.entitlements_service.metrics import EntitlementsMetrics
from services.entitlements_service.protocols import (
    ChargeRepository,
    RateLimitStore,
    UnitOfWorkFactory,
)


class StorageProvider(Provider):
    scope = Scope.APP

    @provide
    def units_of_work(self, transactions: SqlTransactions) -> UnitOfWorkFactory:
        return transactions.factory_of(EntitlementsUnitOfWork)

    @provide
    def charges(
        self, engine: AsyncEngine, wakeup: RelayWakeup, envelopes: EnvelopeFactory
    ) -> ChargeRepository:
        return AutocommitCharges(engine, wakeup, envelopes)

    @provide
    def rate_limits(self, redis: Redis) -> RateLimitStore:
        return RedisRateLimitStore(redis)


class MetricsProvider(Provider):
    scope = Scope.APP

    @provide
    def metrics(self, registry: CollectorRegistry) -> EntitlementsMetrics:
        return EntitlementsMetrics(registry)


class HandlerProvider(Provider):
    scope = Scope.APP

    @provide
    def rate_limiter(self, store: RateLimitStore, settings: Settings) -> RateLimiter:
        return RateLimiter(store, enabled=settings.RATE_LIMITS_ENABLED)

    @provide
    def hold_limits(self, settings: Settings) -> HoldLimits:
        return HoldLimits(settings.HOLD_DEFAULT_TTL_SECONDS, settings.HOLD_MAX_TTL_SECONDS)

    consume = provide(ConsumeCredits)
    authorizations = provide(Authorizations)
    admin = provide(Admin)
    queries = provide(TeacherQueries)
    reported_usage = provide(ChargeReportedUsage)

    @provide
    def check(
        self,
        uows: UnitOfWorkFactory,
        policies: PolicyStore,
        limiter: RateLimiter,
        clock: Clock,
        settings: Settings,
    ) -> CheckCredits:
        return CheckCredits(uows, policies, limiter, clock, settings.MAX_BULK_REQUIREMENTS)


def service_providers() -> list[Provider]:
    return [StorageProvider(), MetricsProvider(), HandlerProvider()]
