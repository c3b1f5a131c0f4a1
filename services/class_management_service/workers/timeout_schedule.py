"""The association timeout monitor's schedule in the worker: a sweep every interval, each in its
own DI request scope (its own unit of work), until the supervisor stops it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial

from dishka import AsyncContainer

from huleedu_service_libs.logging_utils import create_service_logger
from services.class_management_service.handlers.timeout_monitor import (
    AssociationTimeoutMonitor,
    SweepResult,
)

logger = create_service_logger("class_management_service.timeout_schedule")


class SweepSchedule:
    def __init__(self, sweep: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self._sweep = sweep
        self.interval_seconds = interval_seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._sweep()
            except Exception:  # the schedule outlives a failed sweep; the next one retries
                logger.exception("association timeout sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_seconds)

    def stop(self) -> None:
        self._stopping.set()


async def sweep_once(container: AsyncContainer) -> SweepResult:
    async with container() as request:
        monitor = await request.get(AssociationTimeoutMonitor)
        return await monitor.sweep()


def timeout_schedule(container: AsyncContainer, interval_seconds: float) -> SweepSchedule:
    return SweepSchedule(partial(sweep_once, container), interval_seconds)
