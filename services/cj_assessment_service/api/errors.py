"""Domain refusals and unavailable dependencies become ErrorDetail responses."""

from __future__ import annotations

from typing import Any

from quart import Response, request
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from common_core.error_enums import AnyErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import error_response
from huleedu_service_libs.logging_utils import create_service_logger
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.domain.errors import CJError

logger = create_service_logger("cj_assessment_service.api")


def detail_for(code: AnyErrorCode, message: str, details: dict[str, Any]) -> ErrorDetail:
    correlation = request_correlation()
    return ErrorDetail(
        error_code=code,
        message=message,
        correlation_id=correlation.uuid,
        original_correlation_id=correlation.original,
        service=SERVICE_NAME,
        operation=request.endpoint or "unmatched_route",
        details=details,
    )


async def on_domain_error(error: CJError) -> Response:
    logger.info("request refused", error_code=str(error.code), reason=error.message)
    return error_response(detail_for(error.code, error.message, dict(error.details)))


async def on_integrity_error(error: IntegrityError) -> Response:
    # Two requests raced past the check; the unique index on running batches decided.
    if "uq_assessments_active_batch" in str(error.orig):
        message = "an assessment of this batch is already running"
        return error_response(detail_for(ErrorCode.CONFLICT, message, {}))
    raise error


async def on_dependency_down(error: Exception) -> Response:
    logger.error("dependency unavailable", exc_info=error)
    detail = detail_for(ErrorCode.SERVICE_UNAVAILABLE, "The database is unavailable", {})
    return error_response(detail)


async def on_database_error(error: DBAPIError) -> Response:
    if error.connection_invalidated:
        return await on_dependency_down(error)
    raise error


def register_domain_error_handlers(app: HuleEduApp) -> None:
    app.register_error_handler(CJError, on_domain_error)
    app.register_error_handler(IntegrityError, on_integrity_error)
    app.register_error_handler(PoolTimeoutError, on_dependency_down)
    app.register_error_handler(ConnectionError, on_dependency_down)
    app.register_error_handler(DBAPIError, on_database_error)
