"""DomainError and HuleEduError, the raise_* factories, and the Quart error handlers."""

from huleedu_service_libs.error_handling.dependencies import (
    unavailable_dependency,
)
from huleedu_service_libs.error_handling.errors import UNSPECIFIED, DomainError, HuleEduError
from huleedu_service_libs.error_handling.factories import (
    raise_authentication_error,
    raise_error,
    raise_unsupported_media_type,
    raise_validation_error,
)
from huleedu_service_libs.error_handling.quart_handlers import (
    INTERNAL_ERROR_MESSAGE,
    domain_error_response,
    register_error_handlers,
)

__all__ = [
    "INTERNAL_ERROR_MESSAGE",
    "UNSPECIFIED",
    "DomainError",
    "HuleEduError",
    "domain_error_response",
    "raise_authentication_error",
    "raise_error",
    "raise_unsupported_media_type",
    "raise_validation_error",
    "register_error_handlers",
    "unavailable_dependency",
]
