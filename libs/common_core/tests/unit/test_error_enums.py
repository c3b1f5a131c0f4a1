from enum import StrEnum
from http import HTTPStatus

import pytest

from common_core.error_enums import (
    ALL_ERROR_CODES,
    ERROR_CODE_ENUMS,
    AnyErrorCode,
    CJAssessmentErrorCode,
    ClassManagementErrorCode,
    ErrorCode,
    FileValidationErrorCode,
    http_status_for,
    parse_error_code,
)

EVERY_MEMBER: list[StrEnum] = [member for enum in ERROR_CODE_ENUMS for member in enum]


@pytest.mark.parametrize("code", EVERY_MEMBER, ids=str)
def test_every_code_of_every_enum_has_an_error_status(code: AnyErrorCode) -> None:
    status = HTTPStatus(http_status_for(code))

    assert 400 <= status < 600


def test_error_code_values_are_unique_across_enums() -> None:
    values = [member.value for member in EVERY_MEMBER]

    assert len(values) == len(set(values))


def test_all_error_codes_lists_every_member_of_every_enum() -> None:
    assert set(ALL_ERROR_CODES) == set(EVERY_MEMBER)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ErrorCode.VALIDATION_ERROR, 400),
        (ErrorCode.SCHEMA_VALIDATION_ERROR, 422),
        (ErrorCode.AUTHENTICATION_ERROR, 401),
        (ErrorCode.AUTHORIZATION_ERROR, 403),
        (ErrorCode.RESOURCE_NOT_FOUND, 404),
        (ErrorCode.CONFLICT, 409),
        (ErrorCode.INSUFFICIENT_CREDITS, 402),
        (ErrorCode.PAYLOAD_TOO_LARGE, 413),
        (ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415),
        (ErrorCode.RATE_LIMIT, 429),
        (ErrorCode.EXTERNAL_SERVICE_ERROR, 502),
        (ErrorCode.KAFKA_PUBLISH_ERROR, 502),
        (ErrorCode.SERVICE_UNAVAILABLE, 503),
        (ErrorCode.TIMEOUT, 504),
        (ErrorCode.PROCESSING_ERROR, 500),
        (ErrorCode.CONFIGURATION_ERROR, 500),
        (ErrorCode.UNKNOWN_ERROR, 500),
        (ClassManagementErrorCode.CLASS_NOT_FOUND, 404),
        (ClassManagementErrorCode.MULTIPLE_COURSE_ERROR, 400),
        (FileValidationErrorCode.EMPTY_CONTENT, 422),
        (FileValidationErrorCode.CONTENT_TOO_SHORT, 422),
        (FileValidationErrorCode.UNSUPPORTED_FILE_TYPE, 415),
        (FileValidationErrorCode.DUPLICATE_FILE, 409),
        (FileValidationErrorCode.ENCRYPTED_FILE_UNSUPPORTED, 422),
        (CJAssessmentErrorCode.JUDGE_UNAVAILABLE, 503),
    ],
)
def test_codes_map_to_the_status_their_category_requires(code: AnyErrorCode, status: int) -> None:
    assert http_status_for(code) == status


def test_quota_exceeded_is_the_insufficient_credits_code() -> None:
    assert ErrorCode["QUOTA_EXCEEDED"] is ErrorCode.INSUFFICIENT_CREDITS
    assert http_status_for(ErrorCode.QUOTA_EXCEEDED) == 402


@pytest.mark.parametrize("code", EVERY_MEMBER, ids=str)
def test_parse_error_code_returns_the_member_of_its_own_enum(code: AnyErrorCode) -> None:
    parsed = parse_error_code(code.value)

    assert parsed is code


def test_parse_error_code_rejects_unknown_values() -> None:
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        parse_error_code("NOT_A_CODE")
