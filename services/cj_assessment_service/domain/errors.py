"""Refusals the use cases raise; the API turns each into an ErrorDetail with its code."""

from typing import Any

from common_core.error_enums import AnyErrorCode, CJAssessmentErrorCode, ErrorCode


class CJError(Exception):
    code: AnyErrorCode = ErrorCode.PROCESSING_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(CJError):
    code = ErrorCode.RESOURCE_NOT_FOUND


class InsufficientEssays(CJError):
    code = CJAssessmentErrorCode.INSUFFICIENT_ESSAYS


class InvalidRequest(CJError):
    code = ErrorCode.VALIDATION_ERROR


class Conflict(CJError):
    code = ErrorCode.CONFLICT


class AlreadyFinished(CJError):
    code = CJAssessmentErrorCode.BATCH_ALREADY_COMPLETED
