"""The events an assessment publishes, each with an event id stable across retries."""

from __future__ import annotations

from uuid import UUID

from common_core.courses import CourseCode
from common_core.domain_enums import CJStopReason, JudgeKind
from common_core.events.base import EventPayload
from common_core.events.cj import (
    AssessmentResultV1,
    CJAssessmentCompletedV1,
    CJAssessmentFailedV1,
    CJAssessmentStartedV1,
    EssayAssessmentResult,
)
from common_core.events.envelope import deterministic_event_id
from common_core.grade_scales import GradeScaleId
from common_core.models.error_models import ErrorDetail
from services.cj_assessment_service.domain.outcome import EssayOutcome, Outcome
from services.cj_assessment_service.handlers.support import STOP_STALLED
from services.cj_assessment_service.models_db import Assessment
from services.cj_assessment_service.protocols import UnitOfWork

ASSESSMENT_AGGREGATE = "cj_assessment"
# A request refused before an assessment existed is keyed by the requested batch.
BATCH_REQUEST_AGGREGATE = "cj_batch_request"


def _event_id(kind: str, key: UUID) -> UUID:
    return deterministic_event_id(f"cj_assessment_service.{kind}", str(key))


def _emit(uow: UnitOfWork, assessment: Assessment, kind: str, payload: EventPayload) -> None:
    uow.emit(
        payload,
        aggregate_type=ASSESSMENT_AGGREGATE,
        aggregate_id=assessment.id,
        event_id=_event_id(kind, assessment.id),
        correlation_id=assessment.correlation_id,
    )


def emit_started(uow: UnitOfWork, assessment: Assessment, essay_count: int) -> None:
    payload = CJAssessmentStartedV1(
        assessment_id=assessment.id,
        batch_id=assessment.batch_id,
        user_id=assessment.user_id,
        essay_count=essay_count,
        planned_comparisons=assessment.planned_comparisons,
    )
    _emit(uow, assessment, "started", payload)


def emit_failed(uow: UnitOfWork, assessment: Assessment, detail: ErrorDetail) -> None:
    payload = CJAssessmentFailedV1(
        assessment_id=assessment.id,
        batch_id=assessment.batch_id,
        user_id=assessment.user_id,
        comparisons_completed=assessment.completed_comparisons,
        error_detail=detail,
    )
    _emit(uow, assessment, "failed", payload)


def emit_refused(
    uow: UnitOfWork, *, request_event_id: UUID, batch_id: UUID, user_id: str, detail: ErrorDetail
) -> None:
    payload = CJAssessmentFailedV1(batch_id=batch_id, user_id=user_id, error_detail=detail)
    uow.emit(
        payload,
        aggregate_type=BATCH_REQUEST_AGGREGATE,
        aggregate_id=batch_id,
        event_id=_event_id("refused", request_event_id),
        correlation_id=detail.correlation_id,
    )


def stop_reason_for_event(stored: str | None) -> CJStopReason:
    # CJStopReason has no value for a stalled assessment finalised by the sweeper; a stall is
    # its time budget running out.
    if stored is None or stored == STOP_STALLED:
        return CJStopReason.BUDGET_EXHAUSTED
    return CJStopReason(stored)


def emit_completed(uow: UnitOfWork, assessment: Assessment, outcome: Outcome) -> None:
    completed = CJAssessmentCompletedV1(
        assessment_id=assessment.id,
        batch_id=assessment.batch_id,
        user_id=assessment.user_id,
        org_id=assessment.org_id,
        essay_count=len(outcome.essays),
        comparisons_completed=assessment.completed_comparisons,
        reliability=outcome.reliability,
        stop_reason=stop_reason_for_event(assessment.stop_reason),
        judge_kind=JudgeKind(assessment.judge_kind),
        grade_scale=outcome.grade_scale,
    )
    _emit(uow, assessment, "completed", completed)
    _emit(uow, assessment, "result", _result_payload(assessment, outcome))


def _result_payload(assessment: Assessment, outcome: Outcome) -> AssessmentResultV1:
    return AssessmentResultV1(
        assessment_id=assessment.id,
        batch_id=assessment.batch_id,
        user_id=assessment.user_id,
        course_code=CourseCode(assessment.course_code),
        judge_kind=JudgeKind(assessment.judge_kind),
        reliability=outcome.reliability,
        grade_scale=GradeScaleId(outcome.grade_scale) if outcome.grade_scale else None,
        essay_results=[_essay_result(essay) for essay in outcome.essays],
    )


def _essay_result(essay: EssayOutcome) -> EssayAssessmentResult:
    projection = essay.projection
    return EssayAssessmentResult(
        essay_id=essay.essay_id,
        is_anchor=essay.is_anchor,
        rank=essay.rank,
        score=essay.score,
        standard_error=essay.standard_error,
        normalized_score=essay.normalized_score,
        comparison_count=essay.comparison_count,
        misfit=essay.misfit,
        projected_grade=projection.grade if projection else None,
        grade_probabilities=projection.probabilities if projection else {},
        grade_confidence=projection.confidence if projection else None,
    )
