"""The worker's three jobs, each kept alive on its own: processing needs only PostgreSQL, so it
goes on while Kafka is away; the relay and the lock consumer start (and restart) when Kafka is
reachable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.outbox import EventRelayWorker
from services.file_service.config import Settings
from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.implementations.lock_consumer import lock_consumer
from services.file_service.implementations.processing_loop import ProcessingLoop
from services.file_service.protocols import WorkSignal

logger = create_service_logger(__name__)
RESTART_BASE_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0


class WorkerRuntime:
    def __init__(
        self, container: AsyncContainer, settings: Settings, registry: CollectorRegistry
    ) -> None:
        self.container = container
        self.settings = settings
        self.registry = registry
        self._stopping = asyncio.Event()
        self._loop: ProcessingLoop | None = None
        self._relay: EventRelayWorker | None = None
        self._consumer: EventConsumer | None = None

    async def run(self, stop: asyncio.Event) -> None:
        # Resolved first: the container's lock is then never held by a Kafka connection attempt.
        process = await self.container.get(ProcessFiles)
        signal = await self.container.get(WorkSignal)
        self._loop = ProcessingLoop(
            process,
            signal,
            self.settings.WORKER_POLL_INTERVAL_SECONDS,
            self.settings.PROCESSING_CONCURRENCY,
        )
        jobs = [self._loop.run(), self._kept_alive("relay", self._relaying)]
        jobs.append(self._kept_alive("lock consumer", self._consuming))
        tasks = [asyncio.create_task(job) for job in jobs]
        logger.info("worker started")
        await stop.wait()
        await self._stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("worker stopped")

    async def _relaying(self) -> None:
        self._relay = await self.container.get(EventRelayWorker)
        if not self._stopping.is_set():
            await self._relay.run()

    async def _consuming(self) -> None:
        self._consumer = lock_consumer(
            self.settings.KAFKA_BOOTSTRAP_SERVERS,
            self.settings.LOCK_CONSUMER_GROUP,
            await self.container.get(LockBatch),
            await self.container.get(KafkaBus),
            self.registry,
        )
        if not self._stopping.is_set():
            await self._consumer.run()

    async def _kept_alive(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await job()
                return
            except Exception as error:
                failures += 1
                delay = min(RESTART_MAX_SECONDS, RESTART_BASE_SECONDS * 2 ** (failures - 1))
                logger.warning(f"{name} failed; restarting", error=repr(error), in_seconds=delay)
                await self._sleep(delay)

    async def _stop(self) -> None:
        self._stopping.set()
        if self._loop is not None:
            self._loop.stop()
        if self._consumer is not None:
            self._consumer.stop()
        if self._relay is not None:
            await self._relay.stop()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
