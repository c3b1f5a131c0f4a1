"""The worker's processing loop: keeps up to `concurrency` files in flight (the extraction pool
always has the next document queued), claims more as each one ends, and when nothing is due
waits for a wake-up (sent after an upload commits) or the poll interval."""

from __future__ import annotations

import asyncio
import contextlib

from huleedu_service_libs.logging_utils import create_service_logger
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.protocols import WorkSignal

logger = create_service_logger(__name__)
MAX_ERROR_BACKOFF_SECONDS = 30.0


class ProcessingLoop:
    def __init__(
        self, process: ProcessFiles, signal: WorkSignal, poll_seconds: float, concurrency: int
    ) -> None:
        self.process = process
        self.signal = signal
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._failures = 0

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                await self._step()
        finally:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def stop(self) -> None:
        """Files in flight finish; those not yet claimed stay for the next worker."""
        self._stopping.set()

    async def _step(self) -> None:
        free = self.concurrency - len(self._in_flight)
        claimed = await self._claim(free) if free > 0 else 0
        if claimed is None:
            await self._sleep(self._backoff())
        elif self._in_flight and (claimed == 0 or free == claimed):
            await asyncio.wait(
                self._in_flight, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        elif not self._in_flight:
            await self._idle()

    async def _claim(self, limit: int) -> int | None:
        try:
            token, files = await self.process.claim(limit)
        except Exception as error:  # PostgreSQL away, or a bug: back off, never die
            self._failures += 1
            logger.warning("claiming files failed", error=repr(error))
            return None
        self._failures = 0
        for file in files:
            task = asyncio.create_task(self.process.process(file, token))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(files)

    def _backoff(self) -> float:
        return float(min(MAX_ERROR_BACKOFF_SECONDS, self.poll_seconds * 2**self._failures))

    async def _idle(self) -> None:
        woken = asyncio.ensure_future(self.signal.wait(self.poll_seconds))
        woken.add_done_callback(_retrieve_exception)  # one raised while stopping is not lost noise
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


def _retrieve_exception(task: asyncio.Future[bool]) -> None:
    if not task.cancelled():
        task.exception()
