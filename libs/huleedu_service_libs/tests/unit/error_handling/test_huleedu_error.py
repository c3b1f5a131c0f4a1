from uuid import uuid4

import pytest

from common_core.error_enums import CJAssessmentErrorCode, ErrorCode
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.error_handling import (
    UNSPECIFIED,
    DomainError,
    HuleEduError,
    raise_authentication_error,
    raise_error,
    raise_unsupported_media_type,
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
        (raise_authentication_error, ErrorCode.AUTHENTICATION_ERROR, 401),
        (raise_unsupported_media_type, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415),
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


class BatchMissing(DomainError):
    code = ErrorCode.RESOURCE_NOT_FOUND


def test_a_domain_error_carries_its_code_message_and_details() -> None:
    error = BatchMissing("batch not found", batch_id="b-1")

    assert (error.code, error.message, error.details) == (
        ErrorCode.RESOURCE_NOT_FOUND,
        "batch not found",
        {"batch_id": "b-1"},
    )
    assert error.http_status == 404
    assert str(error) == "batch not found"


def test_a_domain_error_becomes_a_detail_where_it_is_caught() -> None:
    correlation_id = uuid4()

    detail = BatchMissing("batch not found", batch_id="b-1").to_detail(
        correlation_id, original_correlation_id="req-7", service="cj", operation="start"
    )

    assert detail.error_code is ErrorCode.RESOURCE_NOT_FOUND
    assert (detail.correlation_id, detail.original_correlation_id) == (correlation_id, "req-7")
    assert (detail.service, detail.operation, detail.details) == (
        "cj",
        "start",
        {"batch_id": "b-1"},
    )


def test_an_unclassified_domain_error_is_a_processing_error() -> None:
    assert DomainError("nope").code is ErrorCode.PROCESSING_ERROR
