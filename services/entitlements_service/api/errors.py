"""Domain errors become ErrorDetail responses with the request's correlation id."""

from __future__ import annotations

from quart import Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from common_core.error_enums import AnyErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling.quart_handlers import error_response
from huleedu_service_libs.logging_utils import create_service_logger
from services.entitlements_service.config import SERVICE_NAME
from services.entitlements_service.domain.errors import (
    AccountNotFoundError,
    AuthorizationClosedError,
    AuthorizationNotFoundError,
    EntitlementsError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    RateLimitedError,
    UnknownMetricError,
)
from services.entitlements_service.domain.policy import PolicyError
from services.entitlements_service.metrics import app_metrics

logger = create_service_logger("entitlements_service.api")

_CODES: list[tuple[type[EntitlementsError], AnyErrorCode]] = [
    (UnknownMetricError, ErrorCode.VALIDATION_ERROR),
    (InvalidRequestError, ErrorCode.VALIDATION_ERROR),
    (InsufficientCreditsError, ErrorCode.INSUFFICIENT_CREDITS),
    (IdempotencyConflictError, ErrorCode.CONFLICT),
    (AuthorizationClosedError, ErrorCode.CONFLICT),
    (AuthorizationNotFoundError, ErrorCode.RESOURCE_NOT_FOUND),
    (AccountNotFoundError, ErrorCode.RESOURCE_NOT_FOUND),
    (RateLimitedError, ErrorCode.RATE_LIMIT),
]


def code_for(error: EntitlementsError) -> AnyErrorCode:
    return next(
        (code for kind, code in _CODES if isinstance(error, kind)), ErrorCode.PROCESSING_ERROR
    )


def _detail(code: AnyErrorCode, message: str, details: dict[str, object]) -> ErrorDetail:
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


async def on_domain_error(error: EntitlementsError) -> Response:
    detail = _detail(code_for(error), error.message, dict(error.details))
    app_metrics().refusals.labels(str(detail.error_code)).inc()
    logger.info("request refused", error_code=str(detail.error_code), reason=error.message)
    response = error_response(detail)
    if isinstance(error, RateLimitedError):
        response.headers["Retry-After"] = str(error.details["retry_after_seconds"])
    return response


async def on_policy_error(error: PolicyError) -> Response:
    return error_response(_detail(ErrorCode.VALIDATION_ERROR, str(error), {}))


async def on_dependency_down(error: Exception) -> Response:
    # Connection-level trouble is a 503 the caller may retry, not a bug.
    logger.error("dependency unavailable", exc_info=error)
    detail = _detail(ErrorCode.SERVICE_UNAVAILABLE, "a dependency is unavailable", {})
    return error_response(detail)


def register_domain_error_handlers(app: HuleEduApp) -> None:
    app.register_error_handler(EntitlementsError, on_domain_error)
    app.register_error_handler(PolicyError, on_policy_error)
    app.register_error_handler(PoolTimeoutError, on_dependency_down)
    app.register_error_handler(RedisError, on_dependency_down)
    app.register_error_handler(OSError, on_dependency_down)
    app.register_error_handler(DBAPIError, _on_database_error)


async def _on_database_error(error: DBAPIError) -> Response:
    if error.connection_invalidated:
        return await on_dependency_down(error)
    # Any other database error is a bug: a 500 that says nothing about the cause.
    logger.error("database error", exc_info=error)
    return error_response(_detail(ErrorCode.UNKNOWN_ERROR, "Internal server error", {}))
