"""The container of a process, from the library's factory and this service's providers. Nothing
is built at import time, and the schema is never created here: the Alembic chain owns it."""

from __future__ import annotations

from dishka import AsyncContainer, Provider
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.di import make_service_container
from services.class_management_service.config import SERVICE_NAME, Settings
from services.class_management_service.di import ServiceProvider, UseCaseProvider


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    *extra: Provider,
    registry: CollectorRegistry | None = None,
    http: bool = True,
) -> AsyncContainer:
    """`extra` comes after the service's providers, so a test's fakes replace them."""
    return make_service_container(
        SERVICE_NAME,
        settings,
        engine,
        ServiceProvider(),
        UseCaseProvider(),
        *extra,
        registry=registry,
        http=http,
    )
