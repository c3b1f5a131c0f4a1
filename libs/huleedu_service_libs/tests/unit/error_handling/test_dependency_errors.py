"""Domain errors and unavailable dependencies through register_error_handlers.

What each real client raises is proved against the real servers in
tests/integration/error_handling/test_dependency_down.py; here each kind of exception is raised
by a route, so every branch of the mapping is seen."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid5

import asyncpg
import pytest
import redis.exceptions
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from quart import Quart
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import Headers

from common_core.error_enums import ClassManagementErrorCode, ErrorCode
from huleedu_service_libs.correlation import (
    CORRELATION_HEADER,
    CORRELATION_NAMESPACE,
    setup_correlation_middleware,
)
from huleedu_service_libs.database import DatabaseConnectionLost
from huleedu_service_libs.error_handling import (
    INTERNAL_ERROR_MESSAGE,
    DomainError,
    register_error_handlers,
    unavailable_dependency,
)

SERVICE = "class_management_service"


class ClassNotFound(DomainError):
    code = ClassManagementErrorCode.CLASS_NOT_FOUND


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMIT


def asyncpg_lost() -> asyncpg.PostgresError:
    return asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")


def wrapped_lost_connection() -> OperationalError:
    # SQLAlchemy's asyncpg adapter raises its own error `from` the asyncpg one.
    adapted = RuntimeError("adapted")
    adapted.__cause__ = asyncpg_lost()
    return OperationalError("SELECT 1", {}, adapted)


def connection_refused_in_app_code() -> ConnectionRefusedError:
    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except ConnectionRefusedError as error:
        return error


UNAVAILABLE: list[tuple[str, Callable[[], BaseException], str]] = [
    ("pool-timeout", lambda: PoolTimeoutError("QueuePool limit reached"), "The database"),
    (
        "invalidated",
        lambda: OperationalError("SELECT 1", {}, RuntimeError("x"), connection_invalidated=True),
        "The database",
    ),
    ("asyncpg-under-dbapi", wrapped_lost_connection, "The database"),
    ("asyncpg", asyncpg_lost, "The database"),
    ("connection-lost", lambda: DatabaseConnectionLost("lost"), "The database"),
    ("redis-connection", lambda: redis.exceptions.ConnectionError("refused"), "Redis"),
    ("redis-timeout", lambda: redis.exceptions.TimeoutError("slow"), "Redis"),
    ("kafka-connection", lambda: KafkaConnectionError("no broker"), "Kafka"),
    ("kafka-timeout", lambda: KafkaTimeoutError(), "Kafka"),
    ("refused-elsewhere", connection_refused_in_app_code, "A dependency"),
]
BUGS: list[tuple[str, Callable[[], BaseException]]] = [
    ("integrity", lambda: IntegrityError("INSERT", {}, RuntimeError("duplicate key"))),
    ("bad-sql", lambda: ProgrammingError("SELEC", {}, RuntimeError("syntax error"))),
    ("redis-command", lambda: redis.exceptions.ResponseError("WRONGTYPE")),
    ("missing-file", lambda: FileNotFoundError(2, "No such file", "/etc/policy.yaml")),
    ("own-timeout", lambda: TimeoutError()),
    ("plain-bug", lambda: KeyError("batch_id")),
]


def build_app(raise_it: Callable[[], BaseException]) -> Quart:
    app = Quart(__name__)
    setup_correlation_middleware(app)
    register_error_handlers(app, SERVICE)

    @app.get("/fail")
    async def fail() -> dict[str, str]:
        raise raise_it()

    @app.get("/missing-class")
    async def missing_class() -> dict[str, str]:
        raise ClassNotFound("Class not found", class_id="c-1")

    @app.get("/rate-limited")
    async def rate_limited() -> dict[str, str]:
        raise RateLimited("slow down", retry_after_seconds=2.5)

    return app


async def get(app: Quart, path: str) -> tuple[int, dict[str, object], Headers]:
    response = await app.test_client().get(path, headers={CORRELATION_HEADER: "req-42"})
    assert response.mimetype == "application/json"
    return response.status_code, await response.get_json(), response.headers


@pytest.mark.parametrize(
    ("error", "dependency"),
    [(e, d) for _, e, d in UNAVAILABLE],
    ids=[name for name, _, _ in UNAVAILABLE],
)
async def test_an_unavailable_dependency_is_a_503_naming_it(
    error: Callable[[], BaseException], dependency: str
) -> None:
    status, body, _ = await get(build_app(error), "/fail")

    assert status == 503
    assert body["error_code"] == "SERVICE_UNAVAILABLE"
    assert body["message"] == f"{dependency} is unavailable"
    assert body["correlation_id"] == str(uuid5(CORRELATION_NAMESPACE, "req-42"))
    assert body["original_correlation_id"] == "req-42"
    assert (body["service"], body["operation"], body["details"]) == (SERVICE, "fail", {})


@pytest.mark.parametrize("error", [e for _, e in BUGS], ids=[name for name, _ in BUGS])
async def test_anything_else_stays_a_500_that_says_nothing(
    error: Callable[[], BaseException],
) -> None:
    status, body, _ = await get(build_app(error), "/fail")

    assert status == 500
    assert (body["error_code"], body["message"]) == ("UNKNOWN_ERROR", INTERNAL_ERROR_MESSAGE)
    assert body["details"] == {}
    assert unavailable_dependency(error()) is None


async def test_a_domain_error_gets_its_status_and_the_request_context() -> None:
    status, body, _ = await get(build_app(KeyError), "/missing-class")

    assert status == 404
    assert (body["error_code"], body["message"]) == ("CLASS_NOT_FOUND", "Class not found")
    assert body["details"] == {"class_id": "c-1"}
    assert (body["service"], body["operation"]) == (SERVICE, "missing_class")
    assert body["correlation_id"] == str(uuid5(CORRELATION_NAMESPACE, "req-42"))
    assert body["original_correlation_id"] == "req-42"


async def test_a_refusal_with_retry_after_seconds_sets_the_header() -> None:
    status, body, headers = await get(build_app(KeyError), "/rate-limited")

    assert status == 429
    assert body["error_code"] == "RATE_LIMIT"
    assert headers.get("Retry-After") == "3"
