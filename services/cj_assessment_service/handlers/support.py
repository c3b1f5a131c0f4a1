"""Small pieces the use cases share: transitions, error details, the design snapshot."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from common_core.domain_enums import CJBatchState
from common_core.error_enums import AnyErrorCode
from common_core.models.error_models import ErrorDetail
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.domain.design import DesignSettings
from services.cj_assessment_service.domain.states import check_move
from services.cj_assessment_service.models_db import Assessment

ORIGIN_HTTP = "http"
ORIGIN_KAFKA = "kafka"
STOP_STALLED = "stalled"


def state_of(assessment: Assessment) -> CJBatchState:
    return CJBatchState(assessment.state)


def transition(assessment: Assessment, target: CJBatchState, now: datetime) -> None:
    check_move(state_of(assessment), target)
    assessment.state = target.value
    assessment.updated_at = now
    if target.is_terminal:
        assessment.completed_at = now
        assessment.next_attempt_at = now  # the runner settles credits next


def design_to_json(design: DesignSettings) -> dict[str, Any]:
    return asdict(design)


def design_of(assessment: Assessment) -> DesignSettings:
    return DesignSettings(**assessment.design)


def error_detail(
    code: AnyErrorCode,
    message: str,
    *,
    correlation_id: UUID,
    operation: str,
    **details: Any,
) -> ErrorDetail:
    return ErrorDetail(
        error_code=code,
        message=message,
        correlation_id=correlation_id,
        service=SERVICE_NAME,
        operation=operation,
        details=details,
    )


@dataclass(frozen=True)
class Progress:
    completed: int
    planned: int
    failed: int
    rounds: int
