"""The worker process: the BatchAuthorMatchesSuggestedV1 consumer, the association timeout
schedule and the outbox relay under the library's supervisor, with /metrics and /healthz on
WORKER_METRICS_HOST:WORKER_METRICS_PORT.

    python -m services.class_management_service.worker_main

A job that ends unasked ends the process non-zero (WorkerLoopEndedError), so it is restarted.
SIGTERM or SIGINT stops it: the consumer finishes the record in hand, the relay its batch and the
schedule its sweep.
"""

from __future__ import annotations

import asyncio

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.di import KafkaProvider, RelayProvider
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, ProbeServer, job_of, run_worker_process, supervise
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.startup_setup import build_container
from services.class_management_service.workers.consumers import event_consumer
from services.class_management_service.workers.timeout_schedule import timeout_schedule


def worker_container(settings: Settings, engine: AsyncEngine) -> AsyncContainer:
    return build_container(settings, engine, KafkaProvider(), RelayProvider(), http=False)


async def worker_jobs(container: AsyncContainer, settings: Settings) -> list[Job]:
    interval = settings.ASSOCIATION_CHECK_INTERVAL_SECONDS
    return [
        job_of("author-matches-consumer", await event_consumer(container, settings)),
        job_of("outbox-relay", await container.get(EventRelayWorker)),
        job_of("association-timeout-schedule", timeout_schedule(container, interval)),
    ]


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    container = worker_container(settings, engine)
    try:
        await _serve(container, settings, stop)
    finally:
        await container.close()
        await engine.dispose()


async def _serve(container: AsyncContainer, settings: Settings, stop: asyncio.Event) -> None:
    probe = ProbeServer(SERVICE_NAME, await container.get(CollectorRegistry))
    await probe.start(settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT)
    try:
        jobs = await worker_jobs(container, settings)
        await supervise(jobs, stop, probe=probe, drain_seconds=settings.WORKER_DRAIN_SECONDS)
    finally:
        await probe.close()


def main() -> None:
    settings = load_service_settings()
    configure_logging(f"{SERVICE_NAME}.worker", settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    tune_garbage_collector()
    run_service(run_worker_process(lambda stop: run_worker(settings, stop)))


if __name__ == "__main__":
    main()
