"""HuleEdu contracts: event envelope, topic registry, error codes, event and API models."""

from common_core.error_enums import (
    CJAssessmentErrorCode,
    ClassManagementErrorCode,
    ErrorCode,
    FileValidationErrorCode,
    http_status_for,
)
from common_core.models.error_models import ErrorDetail

__all__ = [
    "CJAssessmentErrorCode",
    "ClassManagementErrorCode",
    "ErrorCode",
    "ErrorDetail",
    "FileValidationErrorCode",
    "http_status_for",
]
