"""The supervisor of a worker process.

Every job runs as a task. A job that returns or raises while nobody asked it to stop ends the
process with WorkerLoopEndedError (a non-zero exit), so Compose or Kubernetes restarts it, instead
of a process that looks up and consumes nothing. SIGTERM or SIGINT asks every job to stop: each
finishes what it holds (a consumer its message in hand, the relay its batch) within the drain
timeout; whatever is still running then is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Sequence

from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.worker.jobs import Job
from huleedu_service_libs.worker.probe import ProbeServer

logger = create_service_logger("huleedu.worker")
DEFAULT_DRAIN_SECONDS = 30.0


class WorkerLoopEndedError(RuntimeError):
    """A job ended without being asked to: the process exits non-zero to be restarted."""


async def supervise(
    jobs: Sequence[Job],
    stop: asyncio.Event,
    *,
    probe: ProbeServer | None = None,
    drain_seconds: float = DEFAULT_DRAIN_SECONDS,
) -> None:
    """Runs `jobs` until `stop` is set (returns) or one of them ends (raises)."""
    tasks: dict[asyncio.Task[None], Job] = {
        asyncio.create_task(job.run(), name=job.name): job for job in jobs
    }
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    if probe is not None:
        probe.set_jobs(list(tasks))
    done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    # A job that ended because the stop was set is not one that ended unasked.
    ended = [] if stop.is_set() else [task for task in tasks if task in done]
    if probe is not None:
        probe.set_stopping()
    await _drain(tasks, drain_seconds)
    stopping.cancel()
    if ended:
        raise _ended_error(ended)
    logger.info("worker stopped", jobs=[job.name for job in jobs])


async def _drain(tasks: dict[asyncio.Task[None], Job], drain_seconds: float) -> None:
    running = [task for task in tasks if not task.done()]
    for task in running:
        try:
            await tasks[task].request_stop()
        except Exception:
            logger.exception("stopping a job failed", job=task.get_name())
    _, late = await asyncio.wait(running, timeout=drain_seconds) if running else (set(), set())
    for task in late:
        logger.warning("job did not stop in time; cancelled", job=task.get_name())
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, Exception):
            logger.error("job failed", job=task.get_name(), exc_info=result)


def _ended_error(ended: list[asyncio.Task[None]]) -> WorkerLoopEndedError:
    names = ", ".join(sorted(task.get_name() for task in ended))
    error = WorkerLoopEndedError(f"worker job ended without being stopped: {names}")
    causes = [task.exception() for task in ended if not task.cancelled()]
    error.__cause__ = next((cause for cause in causes if cause is not None), None)
    return error


async def run_worker_process(
    start: Callable[[asyncio.Event], Awaitable[None]],
) -> None:
    """Installs the SIGTERM/SIGINT handlers that set the stop event, then awaits `start(stop)`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await start(stop)
