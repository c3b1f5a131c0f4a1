"""The worker process: the event consumer, the assessment loop (runner and stall sweeper) and the
outbox relay, supervised; /metrics and /healthz on WORKER_METRICS_HOST:WORKER_METRICS_PORT.

    python -m services.cj_assessment_service.worker_main

A job that ends unasked ends the process non-zero (WorkerLoopEndedError), so it is restarted.
SIGTERM or SIGINT stops it: the consumer finishes the record in hand and the relay its batch;
running assessments are cut off between committed steps, and their claims expire for any worker.
"""

from __future__ import annotations

import asyncio

from dishka import AsyncContainer

from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, job_of, serve_worker, worker_main
from services.cj_assessment_service.config import SERVICE_NAME, Settings, load_service_settings
from services.cj_assessment_service.startup_setup import build_worker_container
from services.cj_assessment_service.workers.assessments import AssessmentWorker


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    await serve_worker(SERVICE_NAME, container, engine, worker_jobs, stop)


async def worker_jobs(container: AsyncContainer) -> list[Job]:
    return [
        job_of("outbox-relay", await container.get(EventRelayWorker)),
        job_of("consumers", await container.get(EventConsumer)),
        job_of("assessments", await container.get(AssessmentWorker)),
    ]


def main() -> None:
    settings = load_service_settings()
    worker_main(SERVICE_NAME, settings, lambda stop: run_worker(settings, stop))


if __name__ == "__main__":
    main()
