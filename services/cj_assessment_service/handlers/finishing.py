"""Ending an assessment: completed with results, or failed/cancelled with an ErrorDetail."""

from __future__ import annotations

from datetime import datetime

from common_core.domain_enums import CJBatchState
from common_core.models.error_models import ErrorDetail
from services.cj_assessment_service.domain.outcome import Outcome
from services.cj_assessment_service.handlers.events import emit_completed, emit_failed
from services.cj_assessment_service.handlers.support import transition
from services.cj_assessment_service.models_db import (
    Assessment,
    EssayScore,
    GradeProjectionRow,
    JudgeStatisticsRow,
)
from services.cj_assessment_service.protocols import UnitOfWork


async def end_unsuccessfully(
    uow: UnitOfWork,
    assessment: Assessment,
    detail: ErrorDetail,
    now: datetime,
    state: CJBatchState = CJBatchState.FAILED,
) -> None:
    """The terminal state, the error and CJAssessmentFailedV1, in the caller's transaction."""
    transition(assessment, state, now)
    assessment.error = detail.model_dump(mode="json")
    await close_open_rounds(uow, assessment, now)
    emit_failed(uow, assessment, detail)


async def close_open_rounds(uow: UnitOfWork, assessment: Assessment, now: datetime) -> None:
    for round_ in await uow.comparisons.rounds(assessment.id):
        if round_.closed_at is None:
            round_.closed_at = now


async def complete(
    uow: UnitOfWork, assessment: Assessment, outcome: Outcome, now: datetime
) -> None:
    await uow.results.add(_scores(assessment, outcome), _projections(assessment, outcome))
    await uow.results.add_judges(_judges(assessment, outcome))
    assessment.reliability = outcome.reliability
    assessment.split_half_reliability = outcome.split_half
    assessment.grade_scale = outcome.grade_scale.value if outcome.grade_scale else None
    transition(assessment, CJBatchState.COMPLETED, now)
    emit_completed(uow, assessment, outcome)


def _scores(assessment: Assessment, outcome: Outcome) -> list[EssayScore]:
    return [
        EssayScore(
            assessment_id=assessment.id,
            position=essay.position,
            essay_id=essay.essay_id,
            is_anchor=essay.is_anchor,
            rank=essay.rank,
            score=essay.score,
            standard_error=essay.standard_error,
            normalized_score=essay.normalized_score,
            comparison_count=essay.comparison_count,
            infit=essay.infit,
            outfit=essay.outfit,
            misfit=essay.misfit,
        )
        for essay in outcome.essays
    ]


def _judges(assessment: Assessment, outcome: Outcome) -> list[JudgeStatisticsRow]:
    return [
        JudgeStatisticsRow(
            assessment_id=assessment.id,
            judge=judge.judge,
            judgements=judge.judgements,
            infit=judge.infit,
            first_position_wins=judge.first_position_wins,
            position_bias=judge.position_bias,
            position_bias_se=judge.position_bias_se,
            agreement=judge.agreement,
            expected_agreement=judge.expected_agreement,
        )
        for judge in outcome.judges
    ]


def _projections(assessment: Assessment, outcome: Outcome) -> list[GradeProjectionRow]:
    return [
        GradeProjectionRow(
            assessment_id=assessment.id,
            position=essay.position,
            grade=essay.projection.grade,
            probability=essay.projection.probability,
            confidence=essay.projection.confidence.value,
            probabilities=essay.projection.probabilities,
        )
        for essay in outcome.essays
        if essay.projection is not None
    ]
