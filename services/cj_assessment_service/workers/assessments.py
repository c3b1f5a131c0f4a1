"""The worker's assessment job: claim due assessments (leases), run them, renew, sweep stalls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.logging_utils import create_service_logger
from services.cj_assessment_service.handlers.steps import Step
from services.cj_assessment_service.protocols import UnitOfWorkFactory
from services.cj_assessment_service.workers.runner import AssessmentRunner
from services.cj_assessment_service.workers.sweeper import StallSweeper

logger = create_service_logger("cj_assessment_service.worker")
T = TypeVar("T")


class AssessmentWorker:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        runner: AssessmentRunner,
        sweeper: StallSweeper,
        clock: Clock,
        *,
        owner: str,
        concurrency: int,
        poll_seconds: float,
        lease_seconds: float,
        sweep_seconds: float,
    ) -> None:
        self.uows = uows
        self.runner = runner
        self.sweeper = sweeper
        self.clock = clock
        self.owner = owner
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.sweep_seconds = sweep_seconds
        self.running: dict[UUID, asyncio.Task[Step]] = {}
        self._stopping = asyncio.Event()

    async def claim(self, limit: int) -> list[UUID]:
        async with self.uows() as uow:
            now = self.clock.now()
            claimed = await uow.assessments.claim_due(self.owner, now, now + self.lease, limit)
            await uow.commit()
        return claimed

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Runs everything due now, one at a time, until nothing is due; returns the runs."""
        runs = 0
        for _ in range(max_rounds):
            claimed = await self.claim(1)
            if not claimed:
                break
            await self.runner.run(claimed[0], self.owner)
            runs += 1
        return runs

    async def run(self) -> None:
        """Until stopped; a loop that dies ends the run with its error, so the supervisor sees
        it and the process is restarted."""
        tasks = [self._claim_loop(), self._heartbeat_loop(), self._sweep_loop()]
        loops = [asyncio.create_task(task) for task in tasks]
        stopping = asyncio.create_task(self._stopping.wait())
        done, _ = await asyncio.wait([stopping, *loops], return_when=asyncio.FIRST_COMPLETED)
        # Running assessments are cut off: their steps are committed one by one, and the
        # claim expires so that any worker resumes them.
        for task in [stopping, *loops, *self.running.values()]:
            task.cancel()
        await asyncio.gather(*loops, *self.running.values(), return_exceptions=True)
        for loop in loops:
            if loop in done:
                loop.result()  # raises the loop's error

    def stop(self) -> None:
        self._stopping.set()

    async def _claim_loop(self) -> None:
        while True:
            free = self.concurrency - len(self.running)
            claimed = await self._guarded(self.claim(free)) if free > 0 else None
            for assessment_id in claimed or []:
                self._start(assessment_id)
            await asyncio.sleep(self.poll_seconds)

    def _start(self, assessment_id: UUID) -> None:
        task = asyncio.create_task(self.runner.run(assessment_id, self.owner))
        self.running[assessment_id] = task
        task.add_done_callback(lambda done: self._finished(assessment_id, done))

    def _finished(self, assessment_id: UUID, task: asyncio.Task[Step]) -> None:
        self.running.pop(assessment_id, None)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "assessment run failed", assessment_id=str(assessment_id), exc_info=task.exception()
            )

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            if self.running:
                await self._guarded(self._renew(list(self.running)))

    async def _renew(self, ids: list[UUID]) -> None:
        async with self.uows() as uow:
            await uow.assessments.renew_leases(self.owner, ids, self.clock.now() + self.lease)
            await uow.commit()

    async def _sweep_loop(self) -> None:
        while True:
            await self._guarded(self.sweeper.sweep())
            await asyncio.sleep(self.sweep_seconds)

    @staticmethod
    async def _guarded(work: Awaitable[T]) -> T | None:
        # A database hiccup must not kill the loop; the next tick tries again.
        try:
            return await work
        except Exception:
            logger.exception("worker tick failed; retrying on the next tick")
            return None
