"""Building the process's pieces from settings: engine, policy, DI container."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.correlation import CorrelationProvider
from services.entitlements_service.config import Settings
from services.entitlements_service.di import service_providers
from services.entitlements_service.implementations.policy_store import PolicyStore


def build_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_pre_ping=settings.DATABASE_POOL_PRE_PING,
        pool_recycle=settings.DATABASE_POOL_RECYCLE_SECONDS,
    )


def load_policies(settings: Settings) -> PolicyStore:
    """Raises PolicyError naming the bad entry: the service does not start on a bad policy."""
    return PolicyStore(settings.POLICY_PATH)


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    policies: PolicyStore,
    *extra: Provider,
    http: bool = True,
) -> AsyncContainer:
    providers: list[Provider] = [*service_providers(), CorrelationProvider(), *extra]
    if http:
        providers.append(QuartProvider())
    context = {Settings: settings, AsyncEngine: engine, PolicyStore: policies}
    return make_async_container(*providers, context=context)
