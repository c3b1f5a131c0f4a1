"""Building the process's pieces from settings: engine and DI container."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.correlation import CorrelationProvider
from services.cj_assessment_service.config import Settings
from services.cj_assessment_service.di import service_providers


def build_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_pre_ping=True,
    )


def build_container(
    settings: Settings, engine: AsyncEngine, *extra: Provider, http: bool = True
) -> AsyncContainer:
    providers: list[Provider] = [*service_providers(), CorrelationProvider(), *extra]
    if http:
        providers.append(QuartProvider())
    return make_async_container(*providers, context={Settings: settings, AsyncEngine: engine})
