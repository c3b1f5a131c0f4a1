"""Every error leaves a Quart app as ErrorDetail JSON with a fitting status, never as HTML."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from quart import Quart, Response, current_app, request
from quart_schema import DataSource, RequestSchemaValidationError
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE
from werkzeug.exceptions import HTTPException, MethodNotAllowed, UnsupportedMediaType

from common_core.error_enums import AnyErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation.middleware import request_correlation
from huleedu_service_libs.error_handling.dependencies import (
    unavailable_dependency,
    unavailable_message,
)
from huleedu_service_libs.error_handling.errors import DomainError, HuleEduError
from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger(__name__)

_CODE_FOR_STATUS: dict[int, AnyErrorCode] = {
    HTTPStatus.BAD_REQUEST: ErrorCode.VALIDATION_ERROR,
    HTTPStatus.UNAUTHORIZED: ErrorCode.AUTHENTICATION_ERROR,
    HTTPStatus.FORBIDDEN: ErrorCode.AUTHORIZATION_ERROR,
    HTTPStatus.NOT_FOUND: ErrorCode.RESOURCE_NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED: ErrorCode.METHOD_NOT_ALLOWED,
    HTTPStatus.CONFLICT: ErrorCode.CONFLICT,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.UNPROCESSABLE_ENTITY: ErrorCode.SCHEMA_VALIDATION_ERROR,
    HTTPStatus.TOO_MANY_REQUESTS: ErrorCode.RATE_LIMIT,
    HTTPStatus.BAD_GATEWAY: ErrorCode.EXTERNAL_SERVICE_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
    HTTPStatus.GATEWAY_TIMEOUT: ErrorCode.TIMEOUT,
}
INTERNAL_ERROR_MESSAGE = "Internal server error"
_SERVICE_NAME_EXTENSION = "huleedu_error_service_name"
_RETRY_AFTER_STATUSES = frozenset({HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE})


def register_error_handlers(app: Quart, service_name: str) -> None:
    responder = _ErrorResponder(service_name)
    app.extensions[_SERVICE_NAME_EXTENSION] = service_name
    app.before_request(_require_declared_media_type)
    app.register_error_handler(HuleEduError, responder.on_huleedu_error)
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(RequestSchemaValidationError, responder.on_schema_error)
    app.register_error_handler(HTTPException, responder.on_http_exception)
    app.register_error_handler(Exception, responder.on_unexpected_error)


def _error_response(detail: ErrorDetail, status: int | None = None, **headers: str) -> Response:
    status = status or detail.http_status
    return Response(
        detail.model_dump_json(),
        status=status,
        mimetype="application/json",
        headers={**_retry_after_header(detail, status), **headers},
    )


async def domain_error_response(error: DomainError) -> Response:
    """The ErrorDetail response for a domain error, with the request's correlation ids, the
    app's service name and the endpoint; what the registered handler answers."""
    correlation = request_correlation()
    detail = error.to_detail(
        correlation.uuid,
        original_correlation_id=correlation.original,
        service=current_app.extensions[_SERVICE_NAME_EXTENSION],
        operation=_operation(),
    )
    _log_refusal(detail, error)
    return _error_response(detail)


class _ErrorResponder:
    def __init__(self, service_name: str) -> None:
        self.service_name = service_name

    async def on_huleedu_error(self, error: HuleEduError) -> Response:
        detail = error.detail_for(self.service_name, _operation())
        _log_refusal(detail, error)
        return _error_response(detail)

    async def on_schema_error(self, error: RequestSchemaValidationError) -> Response:
        message = "Request does not match the schema"
        details = {"errors": _validation_errors(error.validation_error)}
        return _error_response(self._detail(ErrorCode.SCHEMA_VALIDATION_ERROR, message, details))

    async def on_http_exception(self, error: HTTPException) -> Response:
        status = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
        if status >= 500:
            return self._server_error_response(error, status)
        code = _CODE_FOR_STATUS.get(status, ErrorCode.VALIDATION_ERROR)
        details = {"method": request.method, "path": request.path}
        detail = self._detail(code, error.description or error.name, details)
        return _error_response(detail, status, **_allow_header(error))

    async def on_unexpected_error(self, error: Exception) -> Response:
        dependency = unavailable_dependency(error)
        if dependency is None:
            return self._server_error_response(error, HTTPStatus.INTERNAL_SERVER_ERROR)
        # Connection trouble is a 503 the caller may retry, not a bug. No stack: the repr says
        # as much, and rendering one per request while the dependency is down floods the logs.
        logger.error("dependency unavailable", dependency=dependency, error=repr(error))
        code = ErrorCode.SERVICE_UNAVAILABLE
        return _error_response(self._detail(code, unavailable_message(dependency), {}))

    def _server_error_response(self, error: Exception, status: int) -> Response:
        # The body says nothing about the cause; the log has the whole stack.
        logger.error("request crashed", exc_info=error, operation=_operation(), status=status)
        code = _CODE_FOR_STATUS.get(status, ErrorCode.UNKNOWN_ERROR)
        message = (
            INTERNAL_ERROR_MESSAGE if code is ErrorCode.UNKNOWN_ERROR else HTTPStatus(status).phrase
        )
        return _error_response(self._detail(code, message, {}), status)

    def _detail(self, code: AnyErrorCode, message: str, details: dict[str, Any]) -> ErrorDetail:
        correlation = request_correlation()
        return ErrorDetail(
            error_code=code,
            message=message,
            correlation_id=correlation.uuid,
            original_correlation_id=correlation.original,
            service=self.service_name,
            operation=_operation(),
            details=details,
        )


async def _require_declared_media_type() -> None:
    # quart-schema reads a non-JSON body as None and reports a schema error; the truth is a 415.
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    declared = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
    if declared is not None and declared[1] == DataSource.JSON and not request.is_json:
        raise UnsupportedMediaType("Expected a JSON body (Content-Type: application/json)")


def _log_refusal(detail: ErrorDetail, error: Exception) -> None:
    if detail.http_status >= 500:
        logger.error("request failed", error_code=str(detail.error_code), exc_info=error)
    else:
        logger.info("request refused", error_code=str(detail.error_code), reason=detail.message)


def _retry_after_header(detail: ErrorDetail, status: int) -> dict[str, str]:
    seconds = detail.details.get("retry_after_seconds")
    if status not in _RETRY_AFTER_STATUSES or not isinstance(seconds, int | float):
        return {}
    return {"Retry-After": str(max(0, math.ceil(seconds)))}


def _operation() -> str:
    return request.endpoint or "unmatched_route"


def _allow_header(error: HTTPException) -> dict[str, str]:
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        return {"Allow": ", ".join(sorted(error.valid_methods))}
    return {}


def _validation_errors(error: Exception) -> list[dict[str, Any]]:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return [
            {"loc": list(issue["loc"]), "msg": issue["msg"], "type": issue["type"]}
            for issue in errors(include_input=False, include_url=False, include_context=False)
        ]
    return [{"loc": [], "msg": str(error), "type": type(error).__name__}]
