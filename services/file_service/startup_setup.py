"""Building the process's DI container from its settings and engine (the library's kit)."""

from __future__ import annotations

from dishka import AsyncContainer, Provider
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.di import KafkaProvider, RelayProvider, make_service_container
from services.file_service.config import SERVICE_NAME, Settings
from services.file_service.di import WorkerProvider, service_providers


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    *extra: Provider,
    registry: CollectorRegistry | None = None,
    http: bool = True,
) -> AsyncContainer:
    """`extra` providers come last, so a test's fakes replace what they provide."""
    return make_service_container(
        SERVICE_NAME,
        settings,
        engine,
        *service_providers(),
        *extra,
        registry=registry,
        http=http,
    )


def build_worker_container(
    settings: Settings,
    engine: AsyncEngine,
    *extra: Provider,
    registry: CollectorRegistry | None = None,
) -> AsyncContainer:
    """The worker's: extraction, the liveness lock, processing, Kafka and the outbox relay."""
    worker = [WorkerProvider(), KafkaProvider(), RelayProvider()]
    return build_container(settings, engine, *worker, *extra, registry=registry, http=False)
