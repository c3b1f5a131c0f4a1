"""`raise_error` takes any code, service-specific ones too; a `raise_*` for the codes services
raise from the API layer (identity and media type checks). Use cases raise DomainError instead."""

from __future__ import annotations

from typing import Any, NoReturn, Protocol
from uuid import UUID

from common_core.error_enums import AnyErrorCode, ErrorCode
from huleedu_service_libs.error_handling.errors import HuleEduError


class _ErrorRaiser(Protocol):
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


def _raiser_for(error_code: AnyErrorCode, name: str) -> _ErrorRaiser:
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
raise_authentication_error = _raiser_for(
    ErrorCode.AUTHENTICATION_ERROR, "raise_authentication_error"
)
raise_unsupported_media_type = _raiser_for(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE, "raise_unsupported_media_type"
)
