"""The one check of a "dependency down" answer, for tests that take a dependency away."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Response as QuartResponse
from werkzeug.datastructures import Headers

from common_core.error_enums import ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.correlation import CORRELATION_HEADER, CorrelationContext


def assert_unavailable(
    status: int,
    body: Any,
    headers: Mapping[str, str] | Headers,
    *,
    message: str,
    service: str,
    correlation: str,
) -> ErrorDetail:
    """A 503 ErrorDetail with `message`, from `service`, carrying the caller's `correlation`
    (sent as X-Correlation-ID) in the body and echoed in the header."""
    assert status == 503, f"expected 503, got {status}: {body}"
    detail = ErrorDetail.model_validate(body)
    expected = (ErrorCode.SERVICE_UNAVAILABLE, message, service)
    assert (detail.error_code, detail.message, detail.service) == expected, body
    assert detail.original_correlation_id == correlation, body
    assert detail.correlation_id == CorrelationContext.from_header(correlation).uuid, body
    assert headers.get(CORRELATION_HEADER) == correlation, dict(headers)
    return detail


DATABASE_DOWN = "The database is unavailable"


async def assert_quart_unavailable(
    response: QuartResponse, *, service: str, correlation: str, message: str = DATABASE_DOWN
) -> ErrorDetail:
    """`assert_unavailable` on a Quart test client's response."""
    body = await response.get_json()
    return assert_unavailable(
        response.status_code,
        body,
        response.headers,
        message=message,
        service=service,
        correlation=correlation,
    )
