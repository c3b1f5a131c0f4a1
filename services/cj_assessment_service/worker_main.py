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
from prometheus_client import CollectorRegistry

from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.kafka import EventConsumer
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, ProbeServer, job_of, run_worker_process, supervise
from services.cj_assessment_service.config import SERVICE_NAME, Settings, load_service_settings
from services.cj_assessment_service.startup_setup import build_worker_container
from services.cj_assessment_service.workers.assessments import AssessmentWorker


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    try:
        await _serve(container, settings, stop)
    finally:
        await container.close()
        await engine.dispose()


async def worker_jobs(container: AsyncContainer) -> list[Job]:
    return [
        job_of("outbox-relay", await container.get(EventRelayWorker)),
        job_of("consumers", await container.get(EventConsumer)),
        job_of("assessments", await container.get(AssessmentWorker)),
    ]


async def _serve(container: AsyncContainer, settings: Settings, stop: asyncio.Event) -> None:
    probe = ProbeServer(SERVICE_NAME, await container.get(CollectorRegistry))
    await probe.start(settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT)
    try:
        jobs = await worker_jobs(container)
        await supervise(jobs, stop, probe=probe, drain_seconds=settings.WORKER_DRAIN_SECONDS)
    finally:
        await probe.close()


def main() -> None:
    settings = load_service_settings()
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    tune_garbage_collector()
    run_service(run_worker_process(lambda stop: run_worker(settings, stop)))


if __name__ == "__main__":
    main()
