"""Cancelling a running assessment: it ends at once; the runner then settles its credits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from common_core.domain_enums import CJBatchState
from common_core.error_enums import ErrorCode
from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.domain.errors import AlreadyFinished
from services.cj_assessment_service.handlers.finishing import end_unsuccessfully
from services.cj_assessment_service.handlers.queries import owned_assessment
from services.cj_assessment_service.handlers.support import error_detail, state_of
from services.cj_assessment_service.models_db import Assessment
from services.cj_assessment_service.protocols import UnitOfWorkFactory


@dataclass
class CancelAssessment:
    uows: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, user_id: str, assessment_id: UUID) -> Assessment:
        async with self.uows() as uow:
            await owned_assessment(uow, user_id, assessment_id)
            assessment = await uow.assessments.get(assessment_id, lock=True)
            assert assessment is not None
            if state_of(assessment).is_terminal:
                raise AlreadyFinished(
                    f"the assessment has already ended ({assessment.state})", state=assessment.state
                )
            # ELS waits for completion or failure: a cancellation is reported as a failure.
            detail = error_detail(
                ErrorCode.PROCESSING_ERROR,
                "the assessment was cancelled by its owner",
                correlation_id=assessment.correlation_id,
                operation="cancel_assessment",
                reason="cancelled",
            )
            await end_unsuccessfully(
                uow, assessment, detail, self.clock.now(), CJBatchState.CANCELLED
            )
            await uow.commit()
        return assessment
