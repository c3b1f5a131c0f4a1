"""Running `process_document` off the event loop: a process pool in the worker (CPU-bound work
on other cores, with a memory cap and a timeout), or a thread for development and tests."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from huleedu_service_libs.logging_utils import create_service_logger
from services.file_service.domain.documents import DocumentOutcome, RejectedText, process_document
from services.file_service.domain.limits import DocumentLimits
from services.file_service.protocols import ExtractorUnavailableError

logger = create_service_logger(__name__)


def _unreadable(error: BaseException) -> RejectedText:
    return RejectedText(
        FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
        "The document could not be read",
        {"reason": type(error).__name__},
    )


class InlineExtractor:
    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits

    async def extract(self, data: bytes, file_format: FileFormat) -> DocumentOutcome:
        try:
            return await asyncio.to_thread(process_document, data, file_format, self.limits)
        except (MemoryError, RecursionError) as error:
            return _unreadable(error)


def _prepare_process(memory_limit_bytes: int, niceness: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    # Below the API and the worker's own loop: under load, extraction waits, requests do not.
    os.nice(niceness)


def _ready() -> None:
    return None


class ProcessPoolExtractor:
    """A document that exhausts the memory cap is rejected; one that overruns the timeout, or a
    crashed pool, gives the file back to be retried (its attempts are counted at each claim)."""

    def __init__(
        self,
        limits: DocumentLimits,
        processes: int,
        timeout_seconds: float,
        memory_limit_bytes: int,
        niceness: int = 10,
    ) -> None:
        self.limits = limits
        self.processes = processes
        self.timeout_seconds = timeout_seconds
        self.memory_limit_bytes = memory_limit_bytes
        self.niceness = niceness
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """The processes start now (not on the first upload), each with its limits."""
        pool = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_prepare_process,
            initargs=(self.memory_limit_bytes, self.niceness),
        )
        for _ in range(self.processes):
            pool.submit(_ready)
        self._pool = pool

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def extract(self, data: bytes, file_format: FileFormat) -> DocumentOutcome:
        pool = self._started()
        job = asyncio.get_running_loop().run_in_executor(
            pool, process_document, data, file_format, self.limits
        )
        try:
            return await asyncio.wait_for(job, self.timeout_seconds)
        except TimeoutError:
            logger.warning("extraction timed out; recycling the pool", seconds=self.timeout_seconds)
            self._recycle(pool)
            raise ExtractorUnavailableError("extraction timed out") from None
        except BrokenProcessPool:
            self._recycle(pool)
            raise ExtractorUnavailableError("the extraction pool broke") from None
        except (MemoryError, RecursionError) as error:
            return _unreadable(error)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            raise RuntimeError("ProcessPoolExtractor.start() has not been called")
        return self._pool

    def _recycle(self, broken: ProcessPoolExecutor) -> None:
        if self._pool is not broken:
            return  # another task already replaced it
        for process in list(getattr(broken, "_processes", {}).values()):
            process.terminate()  # a runaway extraction is not waited for
        broken.shutdown(wait=False, cancel_futures=True)
        self.start()
