"""Refusals the use cases raise, each with its ErrorCode; the library's handlers build the
ErrorDetail (and consumers the failure event) from it."""

from common_core.error_enums import CJAssessmentErrorCode, ErrorCode
from huleedu_service_libs.error_handling import DomainError


class CJError(DomainError):
    """Any refusal of CJ (a PROCESSING_ERROR unless a subclass says otherwise)."""


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
