"""Assessments that stopped making progress are finalised (if their data allow) or failed."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from common_core.domain_enums import CJBatchState
from common_core.error_enums import ErrorCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.logging_utils import create_service_logger
from services.cj_assessment_service.handlers.finishing import (
    close_open_rounds,
    end_unsuccessfully,
)
from services.cj_assessment_service.handlers.snapshot import Snapshot, load_snapshot
from services.cj_assessment_service.handlers.support import (
    STOP_STALLED,
    error_detail,
    state_of,
    transition,
)
from services.cj_assessment_service.metrics import CJMetrics
from services.cj_assessment_service.protocols import UnitOfWork, UnitOfWorkFactory

logger = create_service_logger("cj_assessment_service.sweeper")


class StallSweeper:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Clock,
        stall_seconds: float,
        limit: int = 100,
        *,
        metrics: CJMetrics | None = None,
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.stall = timedelta(seconds=stall_seconds)
        self.limit = limit
        self.metrics = metrics

    async def sweep(self) -> int:
        """Returns how many assessments it ended or moved to scoring; then refreshes the
        assessments-per-state gauge."""
        async with self.uows() as uow:
            stalled = await uow.assessments.stalled(self.clock.now() - self.stall, self.limit)
        handled = 0
        for assessment_id in stalled:
            handled += int(await self._settle_one(assessment_id))
        if self.metrics is not None:
            async with self.uows() as uow:
                self.metrics.set_states(await uow.assessments.count_by_state())
        return handled

    async def _settle_one(self, assessment_id: UUID) -> bool:
        async with self.uows() as uow:
            snapshot = await load_snapshot(uow, assessment_id)
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if snapshot is None or assessment is None or not self._still_stalled(snapshot):
                return False
            if _scoreable(snapshot):
                await self._finalise(uow, snapshot)
            else:
                await self._fail(uow, snapshot)
            assessment.lease_owner = None  # whoever held it is stuck; let any worker finish it
            assessment.lease_expires_at = None
            await uow.commit()
        logger.warning("stalled assessment handled", assessment_id=str(assessment_id))
        return True

    def _still_stalled(self, snapshot: Snapshot) -> bool:
        assessment = snapshot.assessment
        cutoff = self.clock.now() - self.stall
        return not state_of(assessment).is_terminal and assessment.progress_at < cutoff

    async def _finalise(self, uow: UnitOfWork, snapshot: Snapshot) -> None:
        assessment, now = snapshot.assessment, self.clock.now()
        await close_open_rounds(uow, assessment, now)
        transition(assessment, CJBatchState.SCORING, now)
        assessment.stop_reason = STOP_STALLED
        assessment.progress_at = now

    async def _fail(self, uow: UnitOfWork, snapshot: Snapshot) -> None:
        assessment = snapshot.assessment
        detail = error_detail(
            ErrorCode.TIMEOUT,
            f"the assessment made no progress for {int(self.stall.total_seconds())} seconds",
            correlation_id=assessment.correlation_id,
            operation="stall_sweeper",
            state=assessment.state,
            comparisons_completed=assessment.completed_comparisons,
        )
        await end_unsuccessfully(uow, assessment, detail, self.clock.now())


def _scoreable(snapshot: Snapshot) -> bool:
    """Comparing with enough judgements for honest scores: every essay compared at least once.
    (A stall while scoring means scoring itself keeps failing: that assessment fails.)"""
    state = state_of(snapshot.assessment)
    return state is CJBatchState.COMPARING and min(snapshot.counts(), default=0) >= 1
