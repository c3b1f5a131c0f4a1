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
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, job_of, serve_worker, worker_main
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.metrics import ClassManagementMetrics
from services.class_management_service.startup_setup import build_worker_container
from services.class_management_service.workers.consumers import event_consumer
from services.class_management_service.workers.timeout_schedule import timeout_schedule


def worker_container(settings: Settings, engine: AsyncEngine) -> AsyncContainer:
    return build_worker_container(settings, engine)


async def worker_jobs(container: AsyncContainer) -> list[Job]:
    settings = await container.get(Settings)
    interval = settings.ASSOCIATION_CHECK_INTERVAL_SECONDS
    await container.get(ClassManagementMetrics)  # its families served before the first count
    return [
        job_of("author-matches-consumer", await event_consumer(container, settings)),
        job_of("outbox-relay", await container.get(EventRelayWorker)),
        job_of("association-timeout-schedule", timeout_schedule(container, interval)),
    ]


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    await serve_worker(SERVICE_NAME, worker_container(settings, engine), engine, worker_jobs, stop)


def main() -> None:
    settings = load_service_settings()
    worker_main(SERVICE_NAME, settings, lambda stop: run_worker(settings, stop))


if __name__ == "__main__":
    main()
