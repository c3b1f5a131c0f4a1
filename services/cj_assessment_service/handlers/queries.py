"""What a teacher may read: the state and progress of an assessment, and its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from common_core.domain_enums import CJBatchState
from services.cj_assessment_service.domain.errors import Conflict, NotFound
from services.cj_assessment_service.models_db import (
    Assessment,
    EssayScore,
    GradeProjectionRow,
    JudgeStatisticsRow,
)
from services.cj_assessment_service.protocols import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class AssessmentResults:
    assessment: Assessment
    rows: list[tuple[EssayScore, GradeProjectionRow | None]]
    judges: list[JudgeStatisticsRow] = field(default_factory=list)
    anchor_grades: dict[int, str] = field(default_factory=dict)  # position -> known grade


async def owned_assessment(uow: UnitOfWork, user_id: str, assessment_id: UUID) -> Assessment:
    """Another teacher's assessment is as good as missing (never confirm that it exists)."""
    assessment = await uow.assessments.get(assessment_id)
    if assessment is None or assessment.user_id != user_id:
        raise NotFound("assessment not found", assessment_id=str(assessment_id))
    return assessment


@dataclass
class AssessmentQueries:
    uows: UnitOfWorkFactory

    async def status(self, user_id: str, assessment_id: UUID) -> Assessment:
        async with self.uows() as uow:
            return await owned_assessment(uow, user_id, assessment_id)

    async def results(self, user_id: str, assessment_id: UUID) -> AssessmentResults:
        async with self.uows() as uow:
            assessment = await owned_assessment(uow, user_id, assessment_id)
            if assessment.state != CJBatchState.COMPLETED.value:
                raise Conflict(
                    "results exist only for a completed assessment", state=assessment.state
                )
            participants = await uow.assessments.participants(assessment_id)
            return AssessmentResults(
                assessment,
                await uow.results.for_assessment(assessment_id),
                await uow.results.judges(assessment_id),
                {p.position: p.anchor_grade for p in participants if p.anchor_grade is not None},
            )
