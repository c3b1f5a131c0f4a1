"""The worker's processing loop: claim and process until nothing is due, then wait for a wake-up
(after an upload commits) or the poll interval, whichever comes first."""

from __future__ import annotations

import asyncio
import contextlib

from huleedu_service_libs.logging_utils import create_service_logger
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.protocols import WorkSignal

logger = create_service_logger(__name__)
MAX_ERROR_BACKOFF_SECONDS = 30.0


class ProcessingLoop:
    def __init__(self, process: ProcessFiles, signal: WorkSignal, poll_seconds: float) -> None:
        self.process = process
        self.signal = signal
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self._failures = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            claimed = await self._guarded_round()
            if claimed is None:
                await self._sleep(self._backoff())
            elif claimed == 0:
                await self._idle()

    def stop(self) -> None:
        """The round in flight finishes; its files commit or go back when their leases end."""
        self._stopping.set()

    async def _guarded_round(self) -> int | None:
        try:
            claimed = await self.process.run_once()
        except Exception as error:  # PostgreSQL away, or a bug: back off, never die
            self._failures += 1
            logger.warning("processing round failed", error=repr(error))
            return None
        self._failures = 0
        return claimed

    def _backoff(self) -> float:
        return float(min(MAX_ERROR_BACKOFF_SECONDS, self.poll_seconds * 2**self._failures))

    async def _idle(self) -> None:
        woken = asyncio.ensure_future(self.signal.wait(self.poll_seconds))
        stopped = asyncio.ensure_future(self._stopping.wait())
        done, pending = await asyncio.wait(
            {woken, stopped}, timeout=self.poll_seconds + 1, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        if woken in done and woken.exception() is not None:
            logger.warning("work wake-ups unavailable; polling", error=repr(woken.exception()))
            await self._sleep(self.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
