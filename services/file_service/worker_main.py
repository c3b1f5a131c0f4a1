"""The worker process: file processing, the outbox relay, and the batch-lock consumer.

    python -m services.file_service.worker_main

The library's supervisor runs the three jobs and serves /metrics and /healthz on
WORKER_METRICS_HOST:WORKER_METRICS_PORT. Processing needs only PostgreSQL; the relay and the
lock consumer wait for Kafka (see workers/kafka_job.py). A job that fails ends the process
non-zero, for Compose or Kubernetes to restart it. SIGTERM or SIGINT stops it gracefully: the
files in flight, the relay's batch and the lock event in hand finish. A SIGKILL loses nothing:
claimed files are taken again at once (the liveness lock), and committed events stay in the
outbox until the relay has published them.
"""

from __future__ import annotations

import asyncio
import os

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, job_of, serve_worker, worker_main
from services.file_service.config import SERVICE_NAME, Settings, load_file_settings
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.protocols import WorkSignal
from services.file_service.startup_setup import build_worker_container
from services.file_service.workers.kafka_job import KafkaJob
from services.file_service.workers.lock_consumer import lock_consumer
from services.file_service.workers.processing_loop import ProcessingLoop


async def run_worker(
    settings: Settings, stop: asyncio.Event, registry: CollectorRegistry | None = None
) -> None:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine, registry=registry)
    await serve_worker(SERVICE_NAME, container, engine, worker_jobs, stop)


async def worker_jobs(container: AsyncContainer) -> list[Job]:
    settings = await container.get(Settings)
    # Processing is resolved first (it takes the liveness lock, so it needs PostgreSQL): the
    # Kafka jobs then never hold it up while they wait for the broker.
    processing = ProcessingLoop(
        await container.get(ProcessFiles),
        await container.get(WorkSignal),
        settings.WORKER_POLL_INTERVAL_SECONDS,
        settings.PROCESSING_CONCURRENCY,
    )

    async def relay() -> EventRelayWorker:
        return await container.get(EventRelayWorker)

    async def consumer() -> EventConsumer:
        return await lock_consumer(container, settings)

    return [
        job_of("processing", processing),
        KafkaJob("relay", relay).job(),
        KafkaJob("lock-consumer", consumer).job(),
    ]


def main() -> None:
    settings = load_file_settings()
    os.nice(settings.WORKER_NICENESS)
    worker_main(SERVICE_NAME, settings, lambda stop: run_worker(settings, stop))


if __name__ == "__main__":
    main()
