"""Assessment requests: a teacher's HTTP request for a batch, and ELS's Kafka request."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from common_core.courses import CourseCode
from common_core.events.cj import ELS_CJAssessmentRequestV1, JudgeOverrides
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.logging_utils import create_service_logger
from services.cj_assessment_service.domain.errors import CJError, Conflict, NotFound
from services.cj_assessment_service.handlers.creation import (
    AssessmentFactory,
    AssessmentRequest,
    EssayRef,
)
from services.cj_assessment_service.handlers.events import emit_refused
from services.cj_assessment_service.handlers.support import (
    ORIGIN_HTTP,
    ORIGIN_KAFKA,
    error_detail,
)
from services.cj_assessment_service.models_db import Assessment, Essay
from services.cj_assessment_service.protocols import UnitOfWork, UnitOfWorkFactory

REQUEST_INBOX_HANDLER = "cj.assessment_request"
logger = create_service_logger("cj_assessment_service.requests")


@dataclass(frozen=True)
class BatchAssessment:
    user_id: str
    org_id: str | None
    batch_id: UUID
    correlation_id: UUID
    assignment_id: str | None = None
    overrides: JudgeOverrides | None = None
    comparisons_per_essay: int | None = None
    expected_essays: int | None = None


@dataclass
class StartBatchAssessment:
    """POST /v1/assessments: the batch's essays are the ones its provisioning events announced."""

    uows: UnitOfWorkFactory
    factory: AssessmentFactory

    async def __call__(self, command: BatchAssessment) -> Assessment:
        async with self.uows() as uow:
            essays = await uow.essays.live_in_batch(command.batch_id, command.user_id)
            _check_known(command, len(essays))
            if not essays and not await uow.essays.any_in_batch(command.batch_id, command.user_id):
                raise NotFound("batch not found", batch_id=str(command.batch_id))
            request = _request_for_batch(command, essays)
            assessment = await self.factory.create_in(uow, request)
            await uow.commit()
        return assessment


def _check_known(command: BatchAssessment, known: int) -> None:
    """The provisioning events reach CJ shortly after the file service reports them: a client
    that says how many essays it saw is told to retry rather than get an assessment of part of
    the batch."""
    if command.expected_essays is not None and known != command.expected_essays:
        raise Conflict(
            f"CJ knows {known} of the batch's {command.expected_essays} essays; retry shortly",
            batch_id=str(command.batch_id),
            known_essays=known,
            expected_essays=command.expected_essays,
        )


def _request_for_batch(command: BatchAssessment, essays: list[Essay]) -> AssessmentRequest:
    course = CourseCode(essays[0].course_code) if essays else CourseCode.ENG5
    return AssessmentRequest(
        user_id=command.user_id,
        org_id=command.org_id,
        batch_id=command.batch_id,
        course_code=course,
        language=course.language,
        assignment_id=command.assignment_id,
        essays=[EssayRef(e.essay_id, e.text_storage_id) for e in essays],
        origin=ORIGIN_HTTP,
        correlation_id=command.correlation_id,
        overrides=command.overrides,
        comparisons_per_essay=command.comparisons_per_essay,
    )


@dataclass
class HandleAssessmentRequest:
    """ELS_CJAssessmentRequestV1, once per event id (database inbox in the same transaction)."""

    uows: UnitOfWorkFactory
    factory: AssessmentFactory

    async def __call__(self, envelope: EventEnvelope[ELS_CJAssessmentRequestV1]) -> None:
        async with self.uows() as uow:
            if not await uow.claim_event(REQUEST_INBOX_HANDLER, envelope.event_id):
                logger.info("duplicate assessment request skipped", event_id=str(envelope.event_id))
                return
            await self._create_or_refuse(uow, envelope)
            await uow.commit()

    async def _create_or_refuse(
        self, uow: UnitOfWork, envelope: EventEnvelope[ELS_CJAssessmentRequestV1]
    ) -> None:
        event = envelope.data
        try:
            await self.factory.create_in(uow, _request_from_event(envelope, event))
        except Conflict as error:
            # The running assessment of this batch will report; a second one would charge twice.
            logger.warning("assessment request for a running batch ignored", **error.details)
        except CJError as error:
            detail = error_detail(
                error.code,
                error.message,
                correlation_id=envelope.correlation_id,
                operation="handle_assessment_request",
                **error.details,
            )
            emit_refused(
                uow,
                request_event_id=envelope.event_id,
                batch_id=event.batch_id,
                user_id=event.user_id,
                detail=detail,
            )


def _request_from_event(
    envelope: EventEnvelope[ELS_CJAssessmentRequestV1], event: ELS_CJAssessmentRequestV1
) -> AssessmentRequest:
    return AssessmentRequest(
        user_id=event.user_id,
        org_id=event.org_id,
        batch_id=event.batch_id,
        course_code=event.course_code,
        language=event.language,
        assignment_id=event.assignment_id,
        essays=[EssayRef(e.essay_id, e.text_storage_id) for e in event.essays],
        origin=ORIGIN_KAFKA,
        correlation_id=envelope.correlation_id,
        overrides=event.judge_overrides,
        request_event_id=envelope.event_id,
    )
