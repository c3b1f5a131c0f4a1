"""The gateway's refusals, as the ErrorDetail every service answers with."""

from __future__ import annotations

import math
from typing import Any

from common_core.error_enums import ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation import CorrelationContext
from services.api_gateway_service.config import SERVICE_NAME
from services.api_gateway_service.upstream import TooSlow, Unreachable, UpstreamFailure


class Refusal(Exception):
    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def upstream_refusal(failure: UpstreamFailure, service: str) -> Refusal:
    """What the client hears when `service` failed before its response began: not reached (or
    no connection free) is 503, reached but too slow is 504, reached but broken off is 502."""
    if isinstance(failure, Unreachable):
        return Refusal(ErrorCode.SERVICE_UNAVAILABLE, f"{service} is unavailable", service=service)
    if isinstance(failure, TooSlow):
        return Refusal(ErrorCode.TIMEOUT, f"{service} did not answer in time", service=service)
    return Refusal(ErrorCode.EXTERNAL_SERVICE_ERROR, f"{service} failed to answer", service=service)


def error_response(
    refusal: Refusal, correlation: CorrelationContext, operation: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    detail = ErrorDetail(
        error_code=refusal.code,
        message=refusal.message,
        correlation_id=correlation.uuid,
        original_correlation_id=correlation.original,
        service=SERVICE_NAME,
        operation=operation,
        details=refusal.details,
    )
    headers = [(b"content-type", b"application/json")]
    retry_after = refusal.details.get("retry_after_seconds")
    if isinstance(retry_after, int | float):
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    if detail.http_status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="huleedu"'))
    return detail.http_status, headers, detail.model_dump_json().encode()
