"""The worker process: the BatchAuthorMatchesSuggestedV1 consumer, the association timeout
monitor and the outbox relay, stopped together on SIGTERM/SIGINT.

    python -m services.class_management_service.worker_main
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from dishka import AsyncContainer, Provider, Scope, provide
from prometheus_client import CollectorRegistry, start_http_server
from sqlalchemy.ext.asyncio import AsyncEngine

from common_core.events.class_management import BatchAuthorMatchesSuggestedV1
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.event_loop import run_service
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.logging_utils import configure_logging, create_service_logger
from huleedu_service_libs.outbox import EventRelayWorker, RelayWakeup, outbox_settings_for
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
)
from services.class_management_service.startup_setup import build_container, build_engine

logger = create_service_logger("class_management_service.worker")


class WorkerLoopEndedError(RuntimeError):
    pass


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
        self, engine: AsyncEngine, bus: KafkaBus, wakeup: RelayWakeup, settings: Settings
    ) -> EventRelayWorker:
        outbox_settings = outbox_settings_for(settings.ENVIRONMENT)
        return EventRelayWorker(engine, bus, SERVICE_NAME, outbox_settings, wakeup=wakeup)


def suggestion_consumer(container: AsyncContainer) -> Any:
    """One DI request scope (one unit of work) per event, in the event's correlation."""

    async def on_author_matches(envelope: EventEnvelope[Any]) -> None:
        if not isinstance(envelope.data, BatchAuthorMatchesSuggestedV1):
            raise TypeError(f"expected BatchAuthorMatchesSuggestedV1, got {envelope.event_type}")
        async with container() as request:
            handler = await request.get(SuggestionHandler)
            await handler.handle(envelope.event_id, envelope.data)

    return on_author_matches


class Worker:
    def __init__(self, settings: Settings, container: AsyncContainer, registry: CollectorRegistry):
        self.settings = settings
        self.container = container
        self.registry = registry
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        bus = await self.container.get(KafkaBus)
        relay = await self.container.get(EventRelayWorker)
        consumer = EventConsumer(
            bootstrap_servers=self.settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=self.settings.CONSUMER_GROUP_ID,
            handlers={self.settings.AUTHOR_MATCHES_TOPIC: suggestion_consumer(self.container)},
            dead_letter_bus=bus,
            registry=self.registry,
        )
        async with self.container() as scope:
            monitor = await scope.get(AssociationTimeoutMonitor)
            interval = self.settings.ASSOCIATION_CHECK_INTERVAL_SECONDS
            await self._until_stopped(
                consumer,
                relay,
                relay.run(),
                consumer.run(),
                monitor.run_forever(self.stopping, interval),
            )

    async def _until_stopped(
        self,
        consumer: EventConsumer,
        relay: EventRelayWorker,
        *loops: Coroutine[Any, Any, None],
    ) -> None:
        tasks = [asyncio.create_task(loop) for loop in loops]
        stop = asyncio.create_task(self.stopping.wait())
        done, _ = await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        self.stopping.set()
        consumer.stop()
        await relay.stop()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        stop.cancel()
        failures = [result for result in results if isinstance(result, BaseException)]
        for failure in failures:
            logger.error("worker loop failed", exc_info=failure)
        if stop not in done:  # a loop ended on its own: exit non-zero so the worker is restarted
            raise WorkerLoopEndedError("a worker loop ended without being stopped") from (
                failures[0] if failures else None
            )

    def stop(self) -> None:
        self.stopping.set()


@asynccontextmanager
async def worker_for(settings: Settings) -> AsyncIterator[Worker]:
    engine = build_engine(settings)
    registry = CollectorRegistry()
    container = build_container(settings, engine, registry, WorkerProvider())
    try:
        yield Worker(settings, container, registry)
    finally:
        await container.close()
        await engine.dispose()


async def run_worker(settings: Settings) -> None:
    async with worker_for(settings) as worker:
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, worker.stop)
        if settings.WORKER_METRICS_PORT is not None:
            start_http_server(settings.WORKER_METRICS_PORT, registry=worker.registry)
        await worker.run()


def main() -> None:
    settings = load_service_settings()
    configure_logging(f"{SERVICE_NAME}.worker", settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    tune_garbage_collector()
    run_service(run_worker(settings))


if __name__ == "__main__":
    main()
