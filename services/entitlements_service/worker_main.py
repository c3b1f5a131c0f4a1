"""The worker process: ResourceConsumptionV1 consumer, outbox relay, hold expiry.

python -m services.entitlements_service.worker_main
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
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
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage
from services.entitlements_service.startup_setup import (
    build_container,
    build_engine,
    load_policies,
)

logger = create_service_logger("entitlements_service.worker")


class WorkerProvider(Provider):
    scope = Scope.APP
    reported_usage = provide(ChargeReportedUsage)

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
        self, settings: Settings, bus: KafkaBus, handler: ChargeReportedUsage
    ) -> EventConsumer:
        return EventConsumer(
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=settings.CONSUMER_GROUP_ID,
            handlers={settings.RESOURCE_CONSUMPTION_TOPIC: handler},
            dead_letter_bus=bus,
            registry=CollectorRegistry(),
        )


def build_worker_container(settings: Settings) -> AsyncContainer:
    engine = build_engine(settings)
    return build_container(settings, engine, load_policies(settings), WorkerProvider(), http=False)


async def expire_holds_forever(holds: Authorizations, settings: Settings) -> None:
    while True:
        try:
            expired = await holds.expire_due(settings.HOLD_EXPIRY_BATCH_SIZE)
            if expired:
                logger.info("holds expired", count=expired)
                continue
        except Exception:  # a failed sweep is retried at the next interval
            logger.exception("hold expiry sweep failed")
        await asyncio.sleep(settings.HOLD_EXPIRY_INTERVAL_SECONDS)


async def run_worker(container: AsyncContainer, stop: asyncio.Event) -> None:
    settings = await container.get(Settings)
    relay = await container.get(EventRelayWorker)
    consumer = await container.get(EventConsumer)
    tasks = [
        asyncio.create_task(relay.run(), name="outbox-relay"),
        asyncio.create_task(consumer.run(), name="resource-consumption"),
        asyncio.create_task(
            expire_holds_forever(await container.get(Authorizations), settings), name="expiry"
        ),
    ]
    await stop.wait()
    consumer.stop()
    await relay.stop()
    tasks[2].cancel()
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
