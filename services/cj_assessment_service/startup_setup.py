"""Building the process's DI container from its settings and engine (the library's kit)."""

from __future__ import annotations

from dishka import AsyncContainer, Provider
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.di import KafkaProvider, RelayProvider, make_service_container
from services.cj_assessment_service.config import SERVICE_NAME, Settings
from services.cj_assessment_service.di import WorkerLoopProvider, service_providers


def build_container(
    settings: Settings,
    engine: AsyncEngine,
    *extra: Provider,
    http: bool = True,
    registry: CollectorRegistry | None = None,
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
    settings: Settings, engine: AsyncEngine, *extra: Provider
) -> AsyncContainer:
    """The worker's: Kafka, the outbox relay and the assessment loop added."""
    worker = [KafkaProvider(), RelayProvider(), WorkerLoopProvider()]
    return build_container(settings, engine, *worker, *extra, http=False)
