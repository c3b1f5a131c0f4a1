"""Assessments (/v1/assessments/...), always the X-User-ID teacher's own."""

from __future__ import annotations

from uuid import UUID

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_request, validate_response

from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.identity import Caller, require_teacher
from services.cj_assessment_service.api.schemas import (
    AssessmentBody,
    CreateAssessmentRequest,
    ResultsBody,
)
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.queries import AssessmentQueries
from services.cj_assessment_service.handlers.requests import BatchAssessment, StartBatchAssessment


def assessment_blueprint() -> Blueprint:
    api = Blueprint("assessments", __name__, url_prefix="/v1/assessments")
    api.before_request(require_teacher)

    @api.post("/", strict_slashes=False)
    @validate_request(CreateAssessmentRequest)
    @validate_response(AssessmentBody, 202)
    @inject
    async def create_assessment(
        data: CreateAssessmentRequest,
        start: FromDishka[StartBatchAssessment],
        corr: FromDishka[CorrelationContext],
        caller: FromDishka[Caller],
    ) -> tuple[AssessmentBody, int]:
        """Assess one of your file-service batches (at least two valid essays)."""
        command = BatchAssessment(
            user_id=caller.teacher_id,
            org_id=caller.org_id,
            batch_id=data.batch_id,
            correlation_id=corr.uuid,
            assignment_id=data.assignment_id,
            overrides=data.judge_overrides,
            comparisons_per_essay=data.comparisons_per_essay,
            expected_essays=data.expected_essays,
        )
        return AssessmentBody.of(await start(command)), 202

    @api.get("/<uuid:assessment_id>")
    @validate_response(AssessmentBody, 200)
    @inject
    async def get_assessment(
        assessment_id: UUID, queries: FromDishka[AssessmentQueries], caller: FromDishka[Caller]
    ) -> AssessmentBody:
        """State and progress: comparisons done / planned, current reliability."""
        return AssessmentBody.of(await queries.status(caller.teacher_id, assessment_id))

    @api.get("/<uuid:assessment_id>/results")
    @validate_response(ResultsBody, 200)
    @inject
    async def get_results(
        assessment_id: UUID, queries: FromDishka[AssessmentQueries], caller: FromDishka[Caller]
    ) -> ResultsBody:
        """Ranks, scores with standard errors and, with anchors, grade probabilities."""
        return ResultsBody.of(await queries.results(caller.teacher_id, assessment_id))

    @api.delete("/<uuid:assessment_id>")
    @validate_response(AssessmentBody, 200)
    @inject
    async def cancel_assessment(
        assessment_id: UUID, cancel: FromDishka[CancelAssessment], caller: FromDishka[Caller]
    ) -> AssessmentBody:
        """Cancel a running assessment; comparisons already judged are charged, the rest not."""
        return AssessmentBody.of(await cancel(caller.teacher_id, assessment_id))

    return api
