"""Error codes shared by every service, and the one table that maps each code to its HTTP status.

Values are unique across all enums, so a serialized code always parses back to the same member.
"""

from enum import StrEnum
from http import HTTPStatus
from typing import TypeAlias


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    SCHEMA_VALIDATION_ERROR = "SCHEMA_VALIDATION_ERROR"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    AUTHORIZATION_ERROR = "AUTHORIZATION_ERROR"
    EXTERNAL_SERVICE_ERROR = "EXTERNAL_SERVICE_ERROR"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    RATE_LIMIT = "RATE_LIMIT"
    INSUFFICIENT_CREDITS = "INSUFFICIENT_CREDITS"
    # An alias, not a second code: out of quota and out of credits are one condition.
    QUOTA_EXCEEDED = "INSUFFICIENT_CREDITS"
    TIMEOUT = "TIMEOUT"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    KAFKA_PUBLISH_ERROR = "KAFKA_PUBLISH_ERROR"
    CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


class ClassManagementErrorCode(StrEnum):
    """Retired: class management answers only base codes, naming the resource in
    `details.resource`. The values stay parseable, since stored and published ErrorDetails from
    before may carry them."""

    COURSE_NOT_FOUND = "COURSE_NOT_FOUND"
    MULTIPLE_COURSE_ERROR = "MULTIPLE_COURSE_ERROR"
    CLASS_NOT_FOUND = "CLASS_NOT_FOUND"
    STUDENT_NOT_FOUND = "STUDENT_NOT_FOUND"
    DUPLICATE_STUDENT = "DUPLICATE_STUDENT"
    ASSOCIATION_NOT_FOUND = "ASSOCIATION_NOT_FOUND"
    ASSOCIATION_ALREADY_RESOLVED = "ASSOCIATION_ALREADY_RESOLVED"


class FileValidationErrorCode(StrEnum):
    EMPTY_CONTENT = "EMPTY_CONTENT"
    CONTENT_TOO_SHORT = "CONTENT_TOO_SHORT"
    CONTENT_TOO_LONG = "CONTENT_TOO_LONG"
    TEXT_EXTRACTION_FAILED = "TEXT_EXTRACTION_FAILED"
    ENCRYPTED_FILE_UNSUPPORTED = "ENCRYPTED_FILE_UNSUPPORTED"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    DUPLICATE_FILE = "DUPLICATE_FILE"
    BATCH_LOCKED = "BATCH_LOCKED"


class CJAssessmentErrorCode(StrEnum):
    INSUFFICIENT_ESSAYS = "INSUFFICIENT_ESSAYS"
    INSUFFICIENT_COMPARISONS = "INSUFFICIENT_COMPARISONS"
    JUDGE_UNAVAILABLE = "JUDGE_UNAVAILABLE"
    JUDGE_RESPONSE_INVALID = "JUDGE_RESPONSE_INVALID"
    ESSAY_CONTENT_UNAVAILABLE = "ESSAY_CONTENT_UNAVAILABLE"
    SCORE_FITTING_FAILED = "SCORE_FITTING_FAILED"
    ANCHORS_MISSING = "ANCHORS_MISSING"
    BATCH_ALREADY_COMPLETED = "BATCH_ALREADY_COMPLETED"


AnyErrorCode: TypeAlias = (
    ErrorCode | ClassManagementErrorCode | FileValidationErrorCode | CJAssessmentErrorCode
)

ERROR_CODE_ENUMS: tuple[type[StrEnum], ...] = (
    ErrorCode,
    ClassManagementErrorCode,
    FileValidationErrorCode,
    CJAssessmentErrorCode,
)

ALL_ERROR_CODES: tuple[AnyErrorCode, ...] = (
    *ErrorCode,
    *ClassManagementErrorCode,
    *FileValidationErrorCode,
    *CJAssessmentErrorCode,
)
_CODES_BY_VALUE: dict[str, AnyErrorCode] = {code.value: code for code in ALL_ERROR_CODES}

_HTTP_STATUS: dict[AnyErrorCode, HTTPStatus] = {
    ErrorCode.VALIDATION_ERROR: HTTPStatus.BAD_REQUEST,
    ErrorCode.SCHEMA_VALIDATION_ERROR: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.RESOURCE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.METHOD_NOT_ALLOWED: HTTPStatus.METHOD_NOT_ALLOWED,
    ErrorCode.CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.AUTHENTICATION_ERROR: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTHORIZATION_ERROR: HTTPStatus.FORBIDDEN,
    ErrorCode.EXTERNAL_SERVICE_ERROR: HTTPStatus.BAD_GATEWAY,
    ErrorCode.PROCESSING_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.RATE_LIMIT: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.INSUFFICIENT_CREDITS: HTTPStatus.PAYMENT_REQUIRED,
    ErrorCode.TIMEOUT: HTTPStatus.GATEWAY_TIMEOUT,
    ErrorCode.SERVICE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.KAFKA_PUBLISH_ERROR: HTTPStatus.BAD_GATEWAY,
    ErrorCode.CONFIGURATION_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.PAYLOAD_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.UNKNOWN_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ClassManagementErrorCode.COURSE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ClassManagementErrorCode.MULTIPLE_COURSE_ERROR: HTTPStatus.BAD_REQUEST,
    ClassManagementErrorCode.CLASS_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ClassManagementErrorCode.STUDENT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ClassManagementErrorCode.DUPLICATE_STUDENT: HTTPStatus.CONFLICT,
    ClassManagementErrorCode.ASSOCIATION_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ClassManagementErrorCode.ASSOCIATION_ALREADY_RESOLVED: HTTPStatus.CONFLICT,
    FileValidationErrorCode.EMPTY_CONTENT: HTTPStatus.UNPROCESSABLE_ENTITY,
    FileValidationErrorCode.CONTENT_TOO_SHORT: HTTPStatus.UNPROCESSABLE_ENTITY,
    FileValidationErrorCode.CONTENT_TOO_LONG: HTTPStatus.UNPROCESSABLE_ENTITY,
    FileValidationErrorCode.TEXT_EXTRACTION_FAILED: HTTPStatus.UNPROCESSABLE_ENTITY,
    FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED: HTTPStatus.UNPROCESSABLE_ENTITY,
    FileValidationErrorCode.UNSUPPORTED_FILE_TYPE: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    FileValidationErrorCode.DUPLICATE_FILE: HTTPStatus.CONFLICT,
    FileValidationErrorCode.BATCH_LOCKED: HTTPStatus.CONFLICT,
    CJAssessmentErrorCode.INSUFFICIENT_ESSAYS: HTTPStatus.UNPROCESSABLE_ENTITY,
    CJAssessmentErrorCode.INSUFFICIENT_COMPARISONS: HTTPStatus.UNPROCESSABLE_ENTITY,
    CJAssessmentErrorCode.JUDGE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    CJAssessmentErrorCode.JUDGE_RESPONSE_INVALID: HTTPStatus.BAD_GATEWAY,
    CJAssessmentErrorCode.ESSAY_CONTENT_UNAVAILABLE: HTTPStatus.BAD_GATEWAY,
    CJAssessmentErrorCode.SCORE_FITTING_FAILED: HTTPStatus.INTERNAL_SERVER_ERROR,
    CJAssessmentErrorCode.ANCHORS_MISSING: HTTPStatus.UNPROCESSABLE_ENTITY,
    CJAssessmentErrorCode.BATCH_ALREADY_COMPLETED: HTTPStatus.CONFLICT,
}


def http_status_for(code: AnyErrorCode) -> int:
    return int(_HTTP_STATUS[code])


def parse_error_code(value: str) -> AnyErrorCode:
    """The member of whichever error enum owns `value`; ValueError if none does."""
    try:
        return _CODES_BY_VALUE[value]
    except KeyError:
        raise ValueError(f"unknown error code: {value!r}") from None
