"""One `raise_*` per generic error code; `raise_error` takes any code, service-specific ones too."""

from __future__ import annotations

from typing import Any, NoReturn, Protocol
from uuid import UUID

from common_core.error_enums import AnyErrorCode, ErrorCode
from huleedu_service_libs.error_handling.errors import HuleEduError


class ErrorRaiser(Protocol):
    def __call__(
        self,
        service: str,
        operation: str,
        message: str,
        correlation_id: UUID,
        original_correlation_id: str | None = None,
        **details: Any,
    ) -> NoReturn: ...


def raise_error(
    error_code: AnyErrorCode,
    service: str,
    operation: str,
    message: str,
    correlation_id: UUID,
    original_correlation_id: str | None = None,
    **details: Any,
) -> NoReturn:
    raise HuleEduError(
        error_code,
        message,
        correlation_id,
        original_correlation_id=original_correlation_id,
        service=service,
        operation=operation,
        details=details,
    )


def _raiser_for(error_code: AnyErrorCode, name: str) -> ErrorRaiser:
    def raise_for_code(
        service: str,
        operation: str,
        message: str,
        correlation_id: UUID,
        original_correlation_id: str | None = None,
        **details: Any,
    ) -> NoReturn:
        raise_error(
            error_code,
            service,
            operation,
            message,
            correlation_id,
            original_correlation_id,
            **details,
        )

    raise_for_code.__name__ = raise_for_code.__qualname__ = name
    return raise_for_code


raise_validation_error = _raiser_for(ErrorCode.VALIDATION_ERROR, "raise_validation_error")
raise_schema_validation_error = _raiser_for(
    ErrorCode.SCHEMA_VALIDATION_ERROR, "raise_schema_validation_error"
)
raise_resource_not_found = _raiser_for(ErrorCode.RESOURCE_NOT_FOUND, "raise_resource_not_found")
raise_conflict_error = _raiser_for(ErrorCode.CONFLICT, "raise_conflict_error")
raise_authentication_error = _raiser_for(
    ErrorCode.AUTHENTICATION_ERROR, "raise_authentication_error"
)
raise_authorization_error = _raiser_for(ErrorCode.AUTHORIZATION_ERROR, "raise_authorization_error")
raise_external_service_error = _raiser_for(
    ErrorCode.EXTERNAL_SERVICE_ERROR, "raise_external_service_error"
)
raise_processing_error = _raiser_for(ErrorCode.PROCESSING_ERROR, "raise_processing_error")
raise_rate_limit_error = _raiser_for(ErrorCode.RATE_LIMIT, "raise_rate_limit_error")
raise_insufficient_credits = _raiser_for(
    ErrorCode.INSUFFICIENT_CREDITS, "raise_insufficient_credits"
)
raise_timeout_error = _raiser_for(ErrorCode.TIMEOUT, "raise_timeout_error")
raise_service_unavailable = _raiser_for(ErrorCode.SERVICE_UNAVAILABLE, "raise_service_unavailable")
raise_kafka_publish_error = _raiser_for(ErrorCode.KAFKA_PUBLISH_ERROR, "raise_kafka_publish_error")
raise_configuration_error = _raiser_for(ErrorCode.CONFIGURATION_ERROR, "raise_configuration_error")
raise_payload_too_large = _raiser_for(ErrorCode.PAYLOAD_TOO_LARGE, "raise_payload_too_large")
raise_unsupported_media_type = _raiser_for(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE, "raise_unsupported_media_type"
)
raise_unknown_error = _raiser_for(ErrorCode.UNKNOWN_ERROR, "raise_unknown_error")
