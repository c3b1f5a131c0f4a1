"""The worker process: request and essay consumers, the assessment runner, the stall sweeper and
the outbox relay.

python -m services.cj_assessment_service.worker_main
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import uuid
from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.config import load_settings
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.logging_utils import configure_logging, create_service_logger
from huleedu_service_libs.outbox import EventRelayWorker, RelayWakeup, outbox_settings_for
from services.cj_assessment_service.config import SERVICE_NAME, Settings
from services.cj_assessment_service.handlers.essays import (
    RecordProvisionedEssay,
    RecordRemovedEssay,
)
from services.cj_assessment_service.handlers.requests import HandleAssessmentRequest
from services.cj_assessment_service.handlers.runner import AssessmentRunner
from services.cj_assessment_service.handlers.sweeper import StallSweeper
from services.cj_assessment_service.handlers.worker_loop import AssessmentWorker
from services.cj_assessment_service.protocols import Clock, UnitOfWorkFactory
from services.cj_assessment_service.startup_setup import build_container, build_engine

logger = create_service_logger("cj_assessment_service.worker")


class WorkerProvider(Provider):
    scope = Scope.APP

    @provide
    async def bus(self, settings: Settings) -> AsyncIterator[KafkaBus]:
        bus = KafkaBus(
            settings.KAFKA_BOOTSTRAP_SERVERS, SERVICE_NAME, settings.KAFKA_ENABLE_IDEMPOTENCE
        )
        await bus.start()
        yield bus
        await bus.stop()

    @provide
    def relay(
        self, engine: AsyncEngine, bus: KafkaBus, redis: Redis, settings: Settings
    ) -> EventRelayWorker:
        wakeup = RelayWakeup(redis, SERVICE_NAME)
        outbox = outbox_settings_for(settings.ENVIRONMENT)
        return EventRelayWorker(engine, bus, SERVICE_NAME, outbox, wakeup=wakeup)

    @provide
    def consumer(
        self,
        settings: Settings,
        bus: KafkaBus,
        on_request: HandleAssessmentRequest,
        on_provisioned: RecordProvisionedEssay,
        on_removed: RecordRemovedEssay,
    ) -> EventConsumer:
        return EventConsumer(
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=settings.CONSUMER_GROUP_ID,
            handlers={
                settings.REQUEST_TOPIC: on_request,
                settings.CONTENT_PROVISIONED_TOPIC: on_provisioned,
                settings.FILE_REMOVED_TOPIC: on_removed,
            },
            dead_letter_bus=bus,
            registry=CollectorRegistry(),
        )

    @provide
    def worker(
        self,
        uows: UnitOfWorkFactory,
        runner: AssessmentRunner,
        sweeper: StallSweeper,
        clock: Clock,
        settings: Settings,
    ) -> AssessmentWorker:
        return AssessmentWorker(
            uows,
            runner,
            sweeper,
            clock,
            owner=f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}",
            concurrency=settings.RUNNER_CONCURRENCY,
            poll_seconds=settings.RUNNER_POLL_SECONDS,
            lease_seconds=settings.LEASE_SECONDS,
            sweep_seconds=settings.SWEEP_INTERVAL_SECONDS,
        )


def build_worker_container(settings: Settings) -> AsyncContainer:
    return build_container(settings, build_engine(settings), WorkerProvider(), http=False)


async def run_worker(container: AsyncContainer, stop: asyncio.Event) -> None:
    relay = await container.get(EventRelayWorker)
    consumer = await container.get(EventConsumer)
    worker = await container.get(AssessmentWorker)
    tasks = [
        asyncio.create_task(relay.run(), name="outbox-relay"),
        asyncio.create_task(consumer.run(), name="consumers"),
        asyncio.create_task(worker.run(), name="assessments"),
    ]
    await stop.wait()
    consumer.stop()
    worker.stop()
    await relay.stop()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _main() -> None:
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    container = build_worker_container(settings)
    stop = asyncio.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(stop_signal, stop.set)
    engine = await container.get(AsyncEngine)
    try:
        await run_worker(container, stop)
    finally:
        await container.close()
        await engine.dispose()


def main() -> None:
    tune_garbage_collector()
    run_service(_main())


if __name__ == "__main__":
    main()
