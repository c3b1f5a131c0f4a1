"""A worker process from start to exit: its probe, its supervised jobs, and its resources."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.observability.database import setup_database_monitoring
from huleedu_service_libs.observability.tracing import setup_tracing, shutdown_tracing
from huleedu_service_libs.worker.jobs import Job
from huleedu_service_libs.worker.probe import ProbeServer
from huleedu_service_libs.worker.runtime import run_worker_process, supervise

JobsOf = Callable[[AsyncContainer], Awaitable[Sequence[Job]]]


async def serve_worker(
    service_name: str,
    container: AsyncContainer,
    engine: AsyncEngine,
    jobs: JobsOf,
    stop: asyncio.Event,
) -> None:
    """Serves /metrics (the engine's pool and statement metrics included) and /healthz,
    supervises `jobs(container)` until `stop` or a job ends, then closes the probe and the
    container and disposes the engine."""
    settings = await container.get(SecureServiceSettings)
    registry = await container.get(CollectorRegistry)
    setup_database_monitoring(engine, service_name, registry)
    probe = ProbeServer(service_name, registry)
    try:
        await probe.start(settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT)
        drain = settings.WORKER_DRAIN_SECONDS
        await supervise(await jobs(container), stop, probe=probe, drain_seconds=drain)
    finally:
        await probe.close()
        await container.close()
        await engine.dispose()


def worker_main(
    service_name: str,
    settings: SecureServiceSettings,
    run: Callable[[asyncio.Event], Awaitable[None]],
) -> None:
    """The body of a worker's `main()`: logging, tracing, GC tuning, the event loop, the stop
    signals; at exit the spans still queued are exported."""
    configure_logging(
        f"{service_name}.worker",
        settings.ENVIRONMENT.value,
        settings.LOG_LEVEL,
        log_format=settings.LOG_FORMAT,
    )
    setup_tracing(service_name, settings)
    tune_garbage_collector()
    try:
        run_service(run_worker_process(run))
    finally:
        shutdown_tracing()
