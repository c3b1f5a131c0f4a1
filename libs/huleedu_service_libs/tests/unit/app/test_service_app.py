import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from uuid import uuid5

import pytest
import structlog
from dishka import FromDishka, Provider, Scope, make_async_container, provide
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel
from quart import Blueprint
from quart_dishka import QuartProvider, inject
from quart_schema import validate_request
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.error_enums import ErrorCode
from huleedu_service_libs.app import (
    ACCESS_LOGGER,
    HealthCheck,
    HuleEduApp,
    MissingAppDependencyError,
    create_service_app,
)
from huleedu_service_libs.correlation import (
    CORRELATION_HEADER,
    CORRELATION_NAMESPACE,
    CorrelationContext,
    CorrelationProvider,
)
from huleedu_service_libs.error_handling import HuleEduError
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.observability.instrumentation import trace_asgi
from huleedu_service_libs.testing.tracing import traced

LIMIT = 2048
SERVICE = "class_management_service"


class CreateStudent(BaseModel):
    name: str
    year: int


class Roster:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.closed = False


class RosterProvider(Provider):
    @provide(scope=Scope.APP)
    async def roster(self) -> AsyncIterator[Roster]:
        roster = Roster()
        yield roster
        roster.closed = True


students = Blueprint("students", __name__, url_prefix="/v1/students")


@students.post("")
@validate_request(CreateStudent)
@inject
async def create_student(
    data: CreateStudent, roster: FromDishka[Roster], corr: FromDishka[CorrelationContext]
) -> tuple[dict[str, str], int]:
    if data.name in roster.names:
        raise HuleEduError(
            error_code=ErrorCode.CONFLICT,
            message="Student exists",
            correlation_id=corr.uuid,
            original_correlation_id=corr.original,
        )
    roster.names.append(data.name)
    return {"name": data.name, "correlation_id": corr.original}, 201


@students.get("/boom")
async def boom() -> dict[str, str]:
    raise KeyError("internal detail: table students_v2")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_app(*health_checks: HealthCheck) -> HuleEduApp:
    return create_service_app(
        service_name=SERVICE,
        container=make_async_container(QuartProvider(), CorrelationProvider(), RosterProvider()),
        database_engine=create_async_engine(
            f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/x"
        ),
        blueprints=[students],
        health_checks=health_checks,
        health_check_timeout_seconds=1.0,
        max_content_length=LIMIT,
    )


@pytest.fixture
async def app() -> AsyncIterator[HuleEduApp]:
    app = build_app()
    async with app.test_app():
        yield app


async def send(
    app: HuleEduApp, method: str, path: str, body: bytes = b"", content_type: str | None = None
) -> tuple[int, dict[str, object], str]:
    headers = {CORRELATION_HEADER: "teacher-7"}
    if content_type:
        headers["Content-Type"] = content_type
    # Quart's TestClientProtocol omits the defaults its implementation has.
    response = await app.test_client().open(  # type: ignore[call-arg]
        path, method=method, data=body, headers=headers
    )
    assert response.mimetype == "application/json", await response.get_data()
    assert response.headers[CORRELATION_HEADER] == "teacher-7"
    return (
        response.status_code,
        json.loads(await response.get_data()),
        response.headers.get("Allow", ""),
    )


async def test_a_valid_request_is_served_through_dishka(app: HuleEduApp) -> None:
    status, body, _ = await send(
        app, "POST", "/v1/students", b'{"name": "Ada", "year": 8}', "application/json"
    )

    assert (status, body) == (201, {"name": "Ada", "correlation_id": "teacher-7"})


JSON = "application/json"
BAD_INPUT = [
    ("POST", "/v1/students", b'{"name": "Ada", "year": ', JSON, 400, "VALIDATION_ERROR"),
    ("POST", "/v1/students", b"", JSON, 400, "VALIDATION_ERROR"),
    ("POST", "/v1/students", b'{"name": "\xff"}', JSON, 400, "VALIDATION_ERROR"),
    (
        "POST",
        "/v1/students",
        b'{"name": "Ada", "year": "eighth"}',
        JSON,
        422,
        "SCHEMA_VALIDATION_ERROR",
    ),
    ("POST", "/v1/students", b'{"name": ["Ada"]}', JSON, 422, "SCHEMA_VALIDATION_ERROR"),
    ("POST", "/v1/students", b"null", JSON, 422, "SCHEMA_VALIDATION_ERROR"),
    (
        "POST",
        "/v1/students",
        b'{"name": "' + b"A" * LIMIT + b'", "year": 1}',
        JSON,
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    ("POST", "/v1/students", b"<student/>", "application/xml", 415, "UNSUPPORTED_MEDIA_TYPE"),
    (
        "POST",
        "/v1/students",
        b"name=Ada",
        "application/x-www-form-urlencoded",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("GET", "/v1/nothing-here", b"", None, 404, "RESOURCE_NOT_FOUND"),
    ("DELETE", "/v1/students", b"", None, 405, "METHOD_NOT_ALLOWED"),
    ("PATCH", "/healthz", b"", None, 405, "METHOD_NOT_ALLOWED"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status", "code"),
    BAD_INPUT,
    ids=[
        "malformed-json",
        "empty-body",
        "not-utf8",
        "wrong-type",
        "missing-field",
        "json-null",
        "huge-body",
        "xml",
        "form",
        "unknown-route",
        "wrong-method",
        "wrong-method-healthz",
    ],
)
async def test_bad_input_is_answered_with_error_detail(
    app: HuleEduApp,
    method: str,
    path: str,
    body: bytes,
    content_type: str | None,
    status: int,
    code: str,
) -> None:
    actual_status, detail, _ = await send(app, method, path, body, content_type)

    assert actual_status == status
    assert detail["error_code"] == code
    assert detail["service"] == SERVICE
    assert detail["correlation_id"] == str(uuid5(CORRELATION_NAMESPACE, "teacher-7"))
    assert detail["original_correlation_id"] == "teacher-7"
    assert set(detail) == {
        "error_code",
        "message",
        "correlation_id",
        "original_correlation_id",
        "timestamp",
        "service",
        "operation",
        "details",
    }


async def test_wrong_method_names_the_allowed_ones(app: HuleEduApp) -> None:
    _, _, allow = await send(app, "PUT", "/v1/students")

    assert "POST" in allow


async def test_huleedu_error_from_a_route_gets_its_status(app: HuleEduApp) -> None:
    student = b'{"name": "Ada", "year": 8}'
    await send(app, "POST", "/v1/students", student, JSON)

    status, detail, _ = await send(app, "POST", "/v1/students", student, JSON)

    assert (status, detail["error_code"], detail["operation"]) == (
        409,
        "CONFLICT",
        "students.create_student",
    )


async def test_unexpected_exception_is_500_without_internals(app: HuleEduApp) -> None:
    status, detail, _ = await send(app, "GET", "/v1/students/boom")

    assert (status, detail["error_code"], detail["details"]) == (500, "UNKNOWN_ERROR", {})
    assert "students_v2" not in json.dumps(detail)


async def test_openapi_and_docs_are_served(app: HuleEduApp) -> None:
    client = app.test_client()

    spec = await (await client.get("/openapi.json")).get_json()
    docs = await client.get("/docs")

    assert spec["info"]["title"] == SERVICE
    assert "/v1/students" in spec["paths"]
    assert {"/healthz", "/metrics"} <= set(spec["paths"])  # every route the app answers
    assert docs.status_code == 200
    assert docs.mimetype == "text/html"


async def test_metrics_count_requests_by_route(app: HuleEduApp) -> None:
    client = app.test_client()
    await client.post("/v1/students", json={"name": "Bo", "year": 7})
    await client.get("/v1/students/nope/nope")

    text = await (await client.get("/metrics")).get_data(as_text=True)

    assert 'http_requests_total{method="POST",route="/v1/students",status="201"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "nope" not in text


async def test_healthz_names_an_unreachable_database() -> None:
    async def redis_ok() -> None:
        return None

    app = build_app(HealthCheck("redis", redis_ok))
    async with app.test_app():
        response = await app.test_client().get("/healthz")

    body = await response.get_json()
    assert response.status_code == 503
    assert body["failing"] == ["database"]
    assert body["checks"]["redis"]["status"] == "ok"


async def test_two_apps_in_one_process_build_and_serve() -> None:
    for _ in range(2):
        app = build_app()
        async with app.test_app():
            assert (await app.test_client().get("/metrics")).status_code == 200


async def test_serving_ends_by_closing_the_container() -> None:
    app = build_app()
    async with app.test_app():
        roster = await app.container.get(Roster)
        assert not roster.closed

    assert roster.closed


async def test_app_without_container_or_engine_refuses_to_start_and_serve() -> None:
    app = HuleEduApp("incomplete")

    @app.get("/")
    async def index() -> str:
        return "never"

    with pytest.raises(MissingAppDependencyError, match="container, database_engine"):
        await app.startup()
    with pytest.raises(MissingAppDependencyError):
        await app.test_client().get("/")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(SERVICE, "production", "INFO", stream=stream)
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


async def test_each_request_gets_one_access_line_in_its_correlation_scope(
    app: HuleEduApp, log_stream: io.StringIO
) -> None:
    await send(app, "POST", "/v1/students", b'{"name": "Ada", "year": 8}', "application/json")
    await send(app, "GET", "/v1/nowhere")

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [
        ("POST", "/v1/students", 201),
        ("GET", "/v1/nowhere", 404),
    ]
    expected = str(CorrelationContext.from_header("teacher-7").uuid)
    assert {line["correlation_id"] for line in access} == {expected}
    assert {line["original_correlation_id"] for line in access} == {"teacher-7"}
    assert all(line["duration_ms"] >= 0 for line in access)


async def test_the_access_line_carries_the_request_spans_trace_and_span_ids(
    app: HuleEduApp, log_stream: io.StringIO, spans: InMemorySpanExporter
) -> None:
    trace_asgi(app, traced(SERVICE))

    await send(app, "POST", "/v1/students", b'{"name": "Cy", "year": 8}', "application/json")

    [server_span] = spans.get_finished_spans()
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    [access] = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert server_span.context is not None
    assert access["trace_id"] == format(server_span.context.trace_id, "032x")
    assert access["span_id"] == format(server_span.context.span_id, "016x")
    assert access["correlation_id"] == str(CorrelationContext.from_header("teacher-7").uuid)


async def test_the_access_line_is_skipped_below_its_level(app: HuleEduApp) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging(SERVICE, "production", "WARNING", stream=stream)
        await send(app, "POST", "/v1/students", b'{"name": "Bo", "year": 8}', "application/json")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.reset_defaults()

    assert stream.getvalue() == ""
