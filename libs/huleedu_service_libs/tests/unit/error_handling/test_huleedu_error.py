from uuid import uuid4

import pytest

from common_core.error_enums import CJAssessmentErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.error_handling import (
    UNSPECIFIED,
    HuleEduError,
    raise_error,
    raise_external_service_error,
    raise_insufficient_credits,
    raise_resource_not_found,
    raise_validation_error,
)


def test_seed_call_shape_builds_a_detail_with_placeholders() -> None:
    correlation_id = uuid4()

    error = HuleEduError(
        error_code=ErrorCode.VALIDATION_ERROR,
        message="Insufficient credits",
        correlation_id=correlation_id,
        original_correlation_id="req-1",
    )

    assert error.error_detail.correlation_id == correlation_id
    assert error.error_detail.original_correlation_id == "req-1"
    assert error.error_detail.service == UNSPECIFIED
    assert error.http_status == 400
    assert str(error) == "[VALIDATION_ERROR] Insufficient credits"


def test_detail_for_fills_only_what_the_raiser_left_open() -> None:
    error = HuleEduError(ErrorCode.CONFLICT, "taken", uuid4(), operation="create_class")

    detail = error.detail_for("class_management_service", "endpoint_name")

    assert detail.service == "class_management_service"
    assert detail.operation == "create_class"


@pytest.mark.parametrize(
    ("raiser", "code", "status"),
    [
        (raise_validation_error, ErrorCode.VALIDATION_ERROR, 400),
        (raise_resource_not_found, ErrorCode.RESOURCE_NOT_FOUND, 404),
        (raise_insufficient_credits, ErrorCode.INSUFFICIENT_CREDITS, 402),
        (raise_external_service_error, ErrorCode.EXTERNAL_SERVICE_ERROR, 502),
    ],
)
def test_factories_raise_with_service_operation_and_details(
    raiser: object, code: ErrorCode, status: int
) -> None:
    correlation_id = uuid4()

    with pytest.raises(HuleEduError) as raised:
        raiser("entitlements_service", "consume", "nope", correlation_id, "orig", balance=3)  # type: ignore[operator]

    detail = raised.value.error_detail
    assert (detail.error_code, detail.service, detail.operation) == (
        code,
        "entitlements_service",
        "consume",
    )
    assert detail.details == {"balance": 3}
    assert detail.original_correlation_id == "orig"
    assert raised.value.http_status == status


def test_raise_error_takes_service_specific_codes() -> None:
    with pytest.raises(HuleEduError) as raised:
        raise_error(CJAssessmentErrorCode.INSUFFICIENT_ESSAYS, "cj", "start", "need 2", uuid4())

    assert raised.value.error_code is CJAssessmentErrorCode.INSUFFICIENT_ESSAYS
    assert raised.value.http_status == 422


def test_from_detail_keeps_the_detail_exactly() -> None:
    detail = ErrorDetail(
        error_code=ErrorCode.TIMEOUT,
        message="slow",
        correlation_id=uuid4(),
        service="file_service",
        operation="fetch",
    )

    error = HuleEduError.from_detail(detail)

    assert error.error_detail is detail
    assert str(error) == "[TIMEOUT] slow"
