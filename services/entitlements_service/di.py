"""Dishka providers, small and grouped by what they wire. Everything here lives for the process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from dishka import Provider, Scope, from_context, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from huleedu_service_libs.outbox import OutboxManager, RelayWakeup
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.handlers.admin import Admin
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits
from services.entitlements_service.handlers.queries import TeacherQueries
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.support import HoldLimits
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.implementations.redis_rate_limits import RedisRateLimitStore
from services.entitlements_service.implementations.sql_charges import AutocommitCharges
from services.entitlements_service.implementations.unit_of_work import SqlUnitOfWorkFactory
from services.entitlements_service.protocols import ChargeRepository, Clock, UnitOfWorkFactory


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class InfrastructureProvider(Provider):
    """Settings, the engine and the policy come from the factory that builds the container."""

    scope = Scope.APP
    settings = from_context(provides=Settings)
    engine = from_context(provides=AsyncEngine)
    policies = from_context(provides=PolicyStore)

    @provide
    def sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(engine, expire_on_commit=False)

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = Redis.from_url(settings.REDIS_URL, decode_responses=True, socket_timeout=5)
        yield client
        await client.aclose()

    @provide
    def clock(self) -> Clock:
        return SystemClock()


class OutboxWriterProvider(Provider):
    scope = Scope.APP

    @provide
    def wakeup(self, redis: Redis) -> RelayWakeup:
        return RelayWakeup(redis, SERVICE_NAME)

    @provide
    def outbox(self, wakeup: RelayWakeup) -> OutboxManager:
        return OutboxManager(wakeup)

    @provide
    def charges(self, engine: AsyncEngine, wakeup: RelayWakeup) -> ChargeRepository:
        return AutocommitCharges(engine, wakeup)

    @provide
    def units_of_work(
        self, sessions: async_sessionmaker[AsyncSession], outbox: OutboxManager
    ) -> UnitOfWorkFactory:
        return SqlUnitOfWorkFactory(sessions, outbox)


class HandlerProvider(Provider):
    scope = Scope.APP

    @provide
    def rate_limiter(self, redis: Redis, settings: Settings) -> RateLimiter:
        return RateLimiter(RedisRateLimitStore(redis), enabled=settings.RATE_LIMITS_ENABLED)

    @provide
    def hold_limits(self, settings: Settings) -> HoldLimits:
        return HoldLimits(settings.HOLD_DEFAULT_TTL_SECONDS, settings.HOLD_MAX_TTL_SECONDS)

    consume = provide(ConsumeCredits)
    authorizations = provide(Authorizations)
    admin = provide(Admin)
    queries = provide(TeacherQueries)

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
    return [InfrastructureProvider(), OutboxWriterProvider(), HandlerProvider()]
