"""A worker job that needs Kafka: it first waits for the broker, so the rest of the worker
(processing needs only PostgreSQL) goes on while Kafka is away.

Connecting is retried with capped exponential backoff, each failure logged; meanwhile the job
is running (so /healthz stays 200). Once connected, its loop runs under the supervisor like any
other job: if the loop fails, the process exits non-zero and is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable

from aiokafka.errors import KafkaError

from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.worker import Job
from huleedu_service_libs.worker.jobs import Loop

logger = create_service_logger(__name__)
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


class KafkaJob:
    def __init__(
        self,
        name: str,
        connect: Callable[[], Awaitable[Loop]],
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
    ) -> None:
        self.name = name
        self._connect = connect
        self._first_retry_seconds = first_retry_seconds
        self._stopping = asyncio.Event()
        self._loop: Loop | None = None

    def job(self) -> Job:
        return Job(self.name, self.run, self.stop)

    async def run(self) -> None:
        self._loop = await self._connected()
        if self._loop is not None and not self._stopping.is_set():
            await self._loop.run()

    async def stop(self) -> None:
        self._stopping.set()
        if self._loop is not None:
            outcome = self._loop.stop()
            if inspect.isawaitable(outcome):
                await outcome

    async def _connected(self) -> Loop | None:
        failures = 0
        while not self._stopping.is_set():
            try:
                return await self._connect()
            except (KafkaError, OSError) as error:
                failures += 1
                delay = min(MAX_RETRY_SECONDS, self._first_retry_seconds * 2 ** (failures - 1))
                logger.warning(
                    "Kafka unreachable; retrying",
                    job=self.name,
                    failures=failures,
                    retry_in_seconds=delay,
                    error=repr(error),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        return None
