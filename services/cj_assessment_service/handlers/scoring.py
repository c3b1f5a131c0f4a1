"""The scoring phase: the final fit, misfit, grade projection, results and the completion events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

from common_core.domain_enums import CJBatchState
from common_core.grade_scales import GradeScaleId, grade_scale
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.outcome import Outcome, compute_outcome
from services.cj_assessment_service.handlers.finishing import complete
from services.cj_assessment_service.handlers.snapshot import Snapshot, load_snapshot
from services.cj_assessment_service.handlers.steps import Step
from services.cj_assessment_service.handlers.support import design_of, state_of
from services.cj_assessment_service.protocols import UnitOfWorkFactory


@dataclass
class ScoringStep:
    uows: UnitOfWorkFactory
    clock: Clock

    async def step(self, assessment_id: UUID) -> Step:
        async with self.uows() as uow:
            snapshot = await load_snapshot(uow, assessment_id)
        if snapshot is None:
            return Step.LOST
        outcome = await asyncio.to_thread(_outcome, snapshot)
        async with self.uows() as uow:
            assessment = await uow.assessments.get(assessment_id, lock=True)
            if assessment is None:
                return Step.LOST
            if state_of(assessment) is CJBatchState.SCORING:
                await complete(uow, assessment, outcome, self.clock.now())
                await uow.commit()
        return Step.CONTINUE


def _outcome(snapshot: Snapshot) -> Outcome:
    assessment = snapshot.assessment
    scale_id = assessment.grade_scale
    return compute_outcome(
        snapshot.participants_model(),
        snapshot.judged(),
        prior_sd=design_of(assessment).prior_sd,
        scale=grade_scale(GradeScaleId(scale_id)) if scale_id else None,
    )
