from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from uuid import uuid4

import pytest
from pydantic import ValidationError

from common_core.error_enums import ERROR_CODE_ENUMS, AnyErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail

EVERY_MEMBER: list[StrEnum] = [member for enum in ERROR_CODE_ENUMS for member in enum]


def make_detail(
    code: AnyErrorCode = ErrorCode.VALIDATION_ERROR, **overrides: object
) -> ErrorDetail:
    fields: dict[str, object] = {
        "error_code": code,
        "message": "something went wrong",
        "correlation_id": uuid4(),
        "service": "file_service",
        "operation": "upload_file",
    }
    return ErrorDetail.model_validate(fields | overrides)


@pytest.mark.parametrize("code", EVERY_MEMBER, ids=str)
def test_json_round_trip_keeps_the_code_in_its_own_enum(code: AnyErrorCode) -> None:
    detail = make_detail(code, details={"field": "name"}, original_correlation_id="req-42")

    restored = ErrorDetail.model_validate_json(detail.model_dump_json())

    assert restored == detail
    assert type(restored.error_code) is type(code)


def test_error_detail_is_frozen() -> None:
    detail = make_detail()

    with pytest.raises(ValidationError):
        detail.message = "changed"  # type: ignore[misc]


def test_correlation_id_is_required() -> None:
    fields = make_detail().model_dump(exclude={"correlation_id"})

    with pytest.raises(ValidationError, match="correlation_id"):
        ErrorDetail.model_validate(fields)


def test_default_timestamp_is_now_in_utc() -> None:
    before = datetime.now(UTC)

    detail = make_detail()

    assert detail.timestamp.utcoffset() == timedelta(0)
    assert before <= detail.timestamp <= datetime.now(UTC)


def test_timestamp_in_another_zone_is_normalised_to_utc() -> None:
    stockholm_summer = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 12, 0, tzinfo=stockholm_summer)

    detail = make_detail(timestamp=local)

    assert detail.timestamp == local
    assert detail.timestamp.utcoffset() == timedelta(0)


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_detail(timestamp=datetime(2025, 6, 1, 12, 0))


def test_http_status_follows_the_code() -> None:
    assert make_detail(ErrorCode.RESOURCE_NOT_FOUND).http_status == 404
    assert make_detail(ErrorCode.INSUFFICIENT_CREDITS).http_status == 402


def test_unknown_error_code_is_rejected() -> None:
    with pytest.raises(ValidationError):
        make_detail("NOT_A_CODE")  # type: ignore[arg-type]


def test_import_paths_used_by_services() -> None:
    from common_core import ErrorCode as RootErrorCode
    from common_core import ErrorDetail as RootErrorDetail
    from common_core.models import ErrorDetail as ModelsErrorDetail

    assert RootErrorCode is ErrorCode
    assert RootErrorDetail is ModelsErrorDetail is ErrorDetail
