from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from common_core.error_enums import AnyErrorCode, ErrorCode, http_status_for
from common_core.models.error_models import ErrorDetail

# Stand-in for service/operation when the raiser did not name them (the seed-000 call shape);
# the Quart error handler fills in the app's service name and the endpoint.
UNSPECIFIED = "unspecified"


class HuleEduError(Exception):
    """An expected failure with an ErrorDetail that becomes the HTTP error body or failure event."""

    error_detail: ErrorDetail

    def __init__(
        self,
        error_code: AnyErrorCode,
        message: str,
        correlation_id: UUID,
        *,
        original_correlation_id: str | None = None,
        service: str | None = None,
        operation: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        detail = ErrorDetail(
            error_code=error_code,
            message=message,
            correlation_id=correlation_id,
            original_correlation_id=original_correlation_id,
            service=service or UNSPECIFIED,
            operation=operation or UNSPECIFIED,
            details=dict(details or {}),
        )
        self._attach(detail)

    @classmethod
    def from_detail(cls, detail: ErrorDetail) -> HuleEduError:
        error = cls.__new__(cls)
        error._attach(detail)
        return error

    @property
    def error_code(self) -> AnyErrorCode:
        return self.error_detail.error_code

    @property
    def correlation_id(self) -> UUID:
        return self.error_detail.correlation_id

    @property
    def http_status(self) -> int:
        return self.error_detail.http_status

    def detail_for(self, service: str, operation: str) -> ErrorDetail:
        """The detail with unnamed service/operation filled from where it was caught."""
        detail = self.error_detail
        updates = {
            "service": service if detail.service == UNSPECIFIED else detail.service,
            "operation": operation if detail.operation == UNSPECIFIED else detail.operation,
        }
        return detail.model_copy(update=updates)

    def _attach(self, detail: ErrorDetail) -> None:
        Exception.__init__(self, f"[{detail.error_code}] {detail.message}")
        self.error_detail = detail


class DomainError(Exception):
    """An expected refusal of a use case, in domain terms: it knows its code (which decides the
    HTTP status) but no correlation id, service or operation; the Quart handlers add those from
    the request. A service's error classes subclass it and set `code`."""

    code: AnyErrorCode = ErrorCode.PROCESSING_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def http_status(self) -> int:
        return http_status_for(self.code)

    def to_detail(
        self,
        correlation_id: UUID,
        *,
        original_correlation_id: str | None = None,
        service: str,
        operation: str,
    ) -> ErrorDetail:
        return ErrorDetail(
            error_code=self.code,
            message=self.message,
            correlation_id=correlation_id,
            original_correlation_id=original_correlation_id,
            service=service,
            operation=operation,
            details=dict(self.details),
        )
