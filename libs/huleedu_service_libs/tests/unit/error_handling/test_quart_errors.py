import json
from uuid import UUID, uuid4, uuid5

import pytest
from pydantic import BaseModel
from quart import Quart, abort
from quart_schema import QuartSchema, validate_request
from structlog.testing import capture_logs

from common_core.error_enums import ClassManagementErrorCode, ErrorCode
from huleedu_service_libs.correlation import (
    CORRELATION_HEADER,
    CORRELATION_NAMESPACE,
    require_correlation,
    setup_correlation_middleware,
)
from huleedu_service_libs.error_handling import (
    INTERNAL_ERROR_MESSAGE,
    HuleEduError,
    raise_error,
    register_error_handlers,
)

LIMIT = 1024


class CreateClass(BaseModel):
    name: str
    size: int


def build_app() -> Quart:
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    QuartSchema(app)
    setup_correlation_middleware(app)
    register_error_handlers(app, "class_management_service")

    @app.post("/classes")
    @validate_request(CreateClass)
    async def create_class(data: CreateClass) -> dict[str, str]:
        return {"name": data.name}

    @app.get("/fail/<code>")
    async def fail(code: str) -> dict[str, str]:
        corr = require_correlation()
        raise_error(
            ErrorCode(code) if code in ErrorCode.__members__ else ClassManagementErrorCode(code),
            "class_management_service",
            "fail",
            "failed on purpose",
            corr.uuid,
            corr.original,
        )

    @app.get("/seed-shape")
    async def seed_shape() -> dict[str, str]:
        corr = require_correlation()
        raise HuleEduError(
            error_code=ErrorCode.RESOURCE_NOT_FOUND,
            message="Class not found",
            correlation_id=corr.uuid,
            original_correlation_id=corr.original,
        )

    @app.get("/crash")
    async def crash() -> dict[str, str]:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    @app.get("/unavailable")
    async def unavailable() -> dict[str, str]:
        abort(503)

    return app


async def post(
    app: Quart, body: bytes, content_type: str | None = "application/json"
) -> tuple[int, dict[str, object]]:
    headers = {CORRELATION_HEADER: "client-req-9"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await app.test_client().post("/classes", data=body, headers=headers)
    assert response.mimetype == "application/json"
    return response.status_code, json.loads(await response.get_data())


async def test_valid_request_still_succeeds() -> None:
    status, body = await post(build_app(), b'{"name": "9A", "size": 20}')

    assert (status, body) == (200, {"name": "9A"})


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"name": ', "application/json", 400, "VALIDATION_ERROR"),
        (b"", "application/json", 400, "VALIDATION_ERROR"),
        (b'{"name": "9A", "size": "twenty"}', "application/json", 422, "SCHEMA_VALIDATION_ERROR"),
        (b'["not", "an", "object"]', "application/json", 422, "SCHEMA_VALIDATION_ERROR"),
        (b"{}", "application/json", 422, "SCHEMA_VALIDATION_ERROR"),
        (
            b'{"name": "' + b"x" * LIMIT + b'", "size": 1}',
            "application/json",
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (b"name=9A", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b"", None, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
    ids=[
        "malformed",
        "empty",
        "wrong-type",
        "not-object",
        "missing-fields",
        "huge",
        "text",
        "no-type",
    ],
)
async def test_bad_bodies_get_error_detail_with_the_right_status(
    body: bytes, content_type: str | None, status: int, code: str
) -> None:
    actual_status, detail = await post(build_app(), body, content_type)

    assert actual_status == status
    assert detail["error_code"] == code
    assert detail["service"] == "class_management_service"
    assert detail["operation"] == "create_class"
    assert detail["correlation_id"] == str(uuid5(CORRELATION_NAMESPACE, "client-req-9"))
    assert detail["original_correlation_id"] == "client-req-9"


async def test_schema_errors_name_the_offending_field() -> None:
    _, detail = await post(build_app(), b'{"name": "9A", "size": "twenty"}')

    [issue] = detail["details"]["errors"]  # type: ignore[index]
    assert issue["loc"] == ["size"]
    assert "twenty" not in json.dumps(detail)


async def test_unknown_route_is_a_json_404() -> None:
    response = await build_app().test_client().get("/no/such/route")

    detail = await response.get_json()
    assert response.status_code == 404
    assert detail["error_code"] == "RESOURCE_NOT_FOUND"
    assert detail["operation"] == "unmatched_route"
    UUID(detail["correlation_id"])


async def test_wrong_method_is_a_json_405_with_allow() -> None:
    sent = str(uuid4())

    response = (
        await build_app().test_client().delete("/classes", headers={CORRELATION_HEADER: sent})
    )

    detail = await response.get_json()
    assert response.status_code == 405
    assert detail["error_code"] == "METHOD_NOT_ALLOWED"
    assert detail["correlation_id"] == sent
    assert "POST" in response.headers["Allow"]
    assert response.headers[CORRELATION_HEADER] == sent


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("VALIDATION_ERROR", 400),
        ("AUTHENTICATION_ERROR", 401),
        ("INSUFFICIENT_CREDITS", 402),
        ("AUTHORIZATION_ERROR", 403),
        ("RESOURCE_NOT_FOUND", 404),
        ("CONFLICT", 409),
        ("RATE_LIMIT", 429),
        ("EXTERNAL_SERVICE_ERROR", 502),
        ("SERVICE_UNAVAILABLE", 503),
        ("DUPLICATE_STUDENT", 409),
    ],
)
async def test_huleedu_errors_get_their_mapped_status(code: str, status: int) -> None:
    response = (
        await build_app().test_client().get(f"/fail/{code}", headers={CORRELATION_HEADER: "r"})
    )

    detail = await response.get_json()
    assert response.status_code == status
    assert detail["error_code"] == code
    assert detail["message"] == "failed on purpose"
    assert detail["correlation_id"] == str(uuid5(CORRELATION_NAMESPACE, "r"))


async def test_seed_shape_error_is_completed_with_service_and_endpoint() -> None:
    response = await build_app().test_client().get("/seed-shape")

    detail = await response.get_json()
    assert response.status_code == 404
    assert detail["service"] == "class_management_service"
    assert detail["operation"] == "seed_shape"
    assert detail["correlation_id"] == response.headers[CORRELATION_HEADER]


async def test_unexpected_exception_is_a_bare_500_logged_with_its_stack() -> None:
    with capture_logs() as logs:
        response = await build_app().test_client().get("/crash", headers={CORRELATION_HEADER: "c"})

    detail = await response.get_json()
    assert response.status_code == 500
    assert detail["error_code"] == "UNKNOWN_ERROR"
    assert detail["message"] == INTERNAL_ERROR_MESSAGE
    assert detail["details"] == {}
    assert "hunter2" not in json.dumps(detail)
    [entry] = [log for log in logs if log["event"] == "request crashed"]
    assert isinstance(entry["exc_info"], RuntimeError)


async def test_aborted_503_keeps_its_status_without_internals() -> None:
    response = await build_app().test_client().get("/unavailable")

    detail = await response.get_json()
    assert response.status_code == 503
    assert detail["error_code"] == "SERVICE_UNAVAILABLE"


async def test_server_side_huleedu_errors_are_logged_with_their_stack() -> None:
    with capture_logs() as logs:
        response = await build_app().test_client().get("/fail/PROCESSING_ERROR")

    assert response.status_code == 500
    assert (await response.get_json())["message"] == "failed on purpose"
    [entry] = [log for log in logs if log["event"] == "request failed"]
    assert isinstance(entry["exc_info"], HuleEduError)
