"""Building the process's pieces from settings: the engine and the DI container."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from prometheus_client import CollectorRegistry
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.identity import IdentityProvider
from services.file_service.config import Settings
from services.file_service.di import service_providers


def build_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL, pool_size=settings.DATABASE_POOL_SIZE, pool_pre_ping=True
    )


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    registry: CollectorRegistry,
    *extra: Provider,
    http: bool = True,
) -> AsyncContainer:
    providers: list[Provider] = [*service_providers(), CorrelationProvider(), *extra]
    if http:
        providers.extend((QuartProvider(), IdentityProvider(settings)))
    context = {Settings: settings, AsyncEngine: engine, CollectorRegistry: registry}
    return make_async_container(*providers, context=context)
