"""The worker process: file processing, the outbox relay, and the batch-lock consumer.

    python -m services.file_service.worker_main

SIGTERM or SIGINT stops it gracefully: the processing round and relay batch in flight finish.
A SIGKILL loses nothing: claimed files are taken again when their leases end, and committed
events stay in the outbox until the relay has published them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from prometheus_client import CollectorRegistry, start_http_server

from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from services.file_service.config import SERVICE_NAME, Settings, load_file_settings
from services.file_service.di import WorkerProvider
from services.file_service.implementations.worker_runtime import WorkerRuntime
from services.file_service.startup_setup import build_container, build_engine


async def run_worker(
    settings: Settings, stop: asyncio.Event, registry: CollectorRegistry | None = None
) -> None:
    engine = build_engine(settings)
    registry = registry or CollectorRegistry()
    container = build_container(settings, engine, registry, WorkerProvider(), http=False)
    try:
        await WorkerRuntime(container, settings, registry).run(stop)
    finally:
        await container.close()
        await engine.dispose()


def main() -> None:
    settings = load_file_settings()
    configure_logging(f"{SERVICE_NAME}_worker", settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    os.nice(settings.WORKER_NICENESS)
    registry = CollectorRegistry()
    start_http_server(settings.WORKER_METRICS_PORT, registry=registry)
    tune_garbage_collector()
    run_service(_serve(settings, registry))


async def _serve(settings: Settings, registry: CollectorRegistry) -> None:
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await run_worker(settings, stop, registry)


if __name__ == "__main__":
    main()
