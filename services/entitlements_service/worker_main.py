"""The worker process: the ResourceConsumptionV1 consumer, the outbox relay and the hold-expiry
sweep under one supervisor. A job that ends unasked ends the process non-zero, to be restarted;
SIGTERM drains each job's work in hand. /metrics and /healthz on WORKER_METRICS_HOST:PORT.

    python -m services.entitlements_service.worker_main
"""

from __future__ import annotations

import asyncio
from functools import partial

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.config import load_settings
from huleedu_service_libs.di import KafkaProvider, RelayProvider
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, ProbeServer, job_of, run_worker_process, supervise
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.startup_setup import build_container, load_policies
from services.entitlements_service.workers.consumption import usage_consumer
from services.entitlements_service.workers.hold_expiry import HoldExpirySweep


def build_worker_container(settings: Settings, engine: AsyncEngine) -> AsyncContainer:
    policies = load_policies(settings)
    return build_container(settings, engine, policies, KafkaProvider(), RelayProvider(), http=False)


async def worker_jobs(container: AsyncContainer, settings: Settings) -> list[Job]:
    sweep = HoldExpirySweep(
        await container.get(Authorizations),
        settings.HOLD_EXPIRY_BATCH_SIZE,
        settings.HOLD_EXPIRY_INTERVAL_SECONDS,
    )
    return [
        job_of("outbox-relay", await container.get(EventRelayWorker)),
        job_of("resource-consumption", await usage_consumer(container, settings)),
        job_of("hold-expiry", sweep),
    ]


async def serve(container: AsyncContainer, settings: Settings, stop: asyncio.Event) -> None:
    """Until `stop` is set; raises WorkerLoopEndedError when a job ends unasked."""
    probe = ProbeServer(SERVICE_NAME, await container.get(CollectorRegistry))
    await probe.start(settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT)
    try:
        jobs = await worker_jobs(container, settings)
        await supervise(jobs, stop, probe=probe, drain_seconds=settings.WORKER_DRAIN_SECONDS)
    finally:
        await probe.close()


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    try:
        await serve(container, settings, stop)
    finally:
        await container.close()
        await engine.dispose()


def main() -> None:
    settings = load_settings(Settings)
    configure_logging(f"{SERVICE_NAME}_worker", settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    tune_garbage_collector()
    run_service(run_worker_process(partial(run_worker, settings)))


if __name__ == "__main__":
    main()
