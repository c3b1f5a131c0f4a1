"""The worker process: the ResourceConsumptionV1 consumer, the outbox relay and the hold-expiry
sweep under the library's supervisor, with /metrics and /healthz on
WORKER_METRICS_HOST:WORKER_METRICS_PORT (8093).

    python -m services.entitlements_service.worker_main

A job that ends unasked ends the process non-zero (WorkerLoopEndedError), so it is restarted.
SIGTERM or SIGINT stops it: the consumer finishes the record in hand, the relay its batch and the
sweep the hold in hand.
"""

from __future__ import annotations

import asyncio

from dishka import AsyncContainer

from huleedu_service_libs.config import load_settings
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.outbox import EventRelayWorker
from huleedu_service_libs.worker import Job, job_of, serve_worker, worker_main
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.startup_setup import build_worker_container
from services.entitlements_service.workers.consumption import usage_consumer
from services.entitlements_service.workers.hold_expiry import HoldExpirySweep


async def worker_jobs(container: AsyncContainer) -> list[Job]:
    settings = await container.get(Settings)
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


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    await serve_worker(SERVICE_NAME, container, engine, worker_jobs, stop)


def main() -> None:
    settings = load_settings(Settings)
    worker_main(SERVICE_NAME, settings, lambda stop: run_worker(settings, stop))


if __name__ == "__main__":
    main()
