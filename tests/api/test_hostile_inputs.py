"""Hand-written hostile requests to every service on the real test servers: each is refused
with an ErrorDetail (4xx) carrying the correlation id, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from common_core.models.error_models import ErrorDetail
from tests.api.apps import SERVICE_DIRS, Urls, build, cj_externals
from tests.api.fuzzing import Request, send

pytestmark = pytest.mark.integration
TEACHER = {"X-User-ID": "hostile-teacher"}
ADMIN = {"X-Admin-API-Key": "admin-test-key-0123456789"}
DEEP = b"[" * 5000 + b"]" * 5000
JSON = {"Content-Type": "application/json"}
# (service, method, path, headers): one JSON route per service, behind its identity guard.
JSON_ROUTES = {
    "entitlements_service": (
        "PUT",
        "/admin/v1/entitlements/accounts/user/u1/balance",
        ADMIN,
    ),
    "file_service": ("POST", "/v1/files/batch", TEACHER),
    "class_management_service": ("POST", "/v1/classes/", TEACHER),
    "cj_service": ("POST", "/v1/anchors/", TEACHER),
}


def _hostile(route: tuple[str, str, dict[str, str]]) -> list[tuple[str, Request, int]]:
    method, path, identity = route

    def raw(body: bytes, content_type: str = "application/json") -> Request:
        return Request(
            method, path, headers={**identity, "Content-Type": content_type}, content=body
        )

    def parsed(body: Any) -> Request:
        return Request(method, path, headers=dict(identity), json_body=body)

    return [
        ("nesting 5,000 deep", raw(DEEP), 400),
        ("nesting 40 deep", raw(b'{"a":' * 40 + b"1" + b"}" * 40), 400),
        ("NUL in a string", parsed({"name": "a\x00b", "title": "a\x00b", "note": "a\x00b"}), 400),
        ("NUL escaped in JSON", raw(b'{"name": "a\\u0000b", "title": "x\\u0000"}'), 400),
        ("lone surrogate", raw(b'{"name": "\\ud800"}'), 400),
        ("NaN", raw(b'{"balance": NaN}'), 400),
        ("a 5,000-digit number", raw(b'{"balance": 1' + b"0" * 5000 + b"}"), 400),
        ("integer beyond 64 bits", parsed({"balance": 2**70, "name": 2**70, "title": 2**70}), 422),
        ("wrong content type", raw(b'{"name": "x"}', "text/xml"), 415),
        ("form instead of JSON", raw(b"name=x", "application/x-www-form-urlencoded"), 415),
        ("10 MB body", raw(b'{"name": "' + b"x" * 10_000_000 + b'"}'), 413),
        ("NUL in the path", Request(method, path + "%00", headers=dict(identity)), 400),
        ("NUL in the query", Request(method, path, {"q": "\x00"}, dict(identity)), 400),
        ("DEL in a header", Request(method, path, headers={**identity, "X-Note": "a\x7f"}), 400),
    ]


@pytest.fixture(params=sorted(JSON_ROUTES))
async def service(
    request: pytest.FixtureRequest,
    migrated_database: Callable[[Path], Awaitable[str]],
    redis_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    name: str = request.param
    async with AsyncExitStack() as stack:
        externals = (
            await stack.enter_async_context(cj_externals()) if name == "cj_service" else None
        )
        app = build(
            name, tmp_path, Urls(await migrated_database(SERVICE_DIRS[name]), redis_url, externals)
        )
        await stack.enter_async_context(app.test_app())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=transport, base_url="http://service", timeout=60)
        yield name, await stack.enter_async_context(client)


def _assert_refused(response: httpx.Response, status: int, correlation: str, what: str) -> None:
    assert response.status_code == status, (what, response.text[:300])
    detail = ErrorDetail.model_validate_json(response.content)
    assert detail.original_correlation_id == correlation, what
    assert response.headers["X-Correlation-ID"] == correlation, what


async def test_hostile_requests_are_refused_with_an_error_detail(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    for number, (what, request, status) in enumerate(_hostile(JSON_ROUTES[name])):
        correlation = f"hostile-{number}"
        _assert_refused(await send(client, request, correlation), status, correlation, what)


async def test_a_control_character_names_the_field(service: tuple[str, httpx.AsyncClient]) -> None:
    name, client = service
    method, path, identity = JSON_ROUTES[name]
    body = {"outer": {"items": ["ok", "bad\x1b"]}}
    response = await send(
        client, Request(method, path, headers=dict(identity), json_body=body), "c-1"
    )
    _assert_refused(response, 400, "c-1", "escape character")
    assert json.loads(response.content)["details"]["field"] == "body.outer.items[1]"


@pytest.mark.parametrize("service", ["class_management_service"], indirect=True)
async def test_a_nul_in_a_roster_csv_row_is_a_400(service: tuple[str, httpx.AsyncClient]) -> None:
    _, client = service
    created = await client.post(
        "/v1/classes/", json={"name": "9A", "course_codes": ["ENG5"]}, headers=TEACHER
    )
    assert created.status_code == 201, created.text
    path = f"/v1/classes/{created.json()['id']}/students/import"
    csv = b"first_name,last_name,email\nAda\x00,Lovelace,ada@example.org\n"
    as_body = Request("POST", path, headers={**TEACHER, "Content-Type": "text/csv"}, content=csv)
    as_file = Request(
        "POST", path, headers=dict(TEACHER), files=[("file", ("r.csv", csv, "text/csv"))]
    )
    for number, request in enumerate([as_body, as_file]):
        response = await send(client, request, f"csv-{number}")
        _assert_refused(response, 400, f"csv-{number}", f"CSV {number}")


async def test_unknown_routes_and_methods_are_error_details(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    method, path, identity = JSON_ROUTES[name]
    unknown = Request("GET", "/no/such/route", headers=dict(identity))
    _assert_refused(await send(client, unknown, "r-404"), 404, "r-404", "unknown route")
    wrong = Request("PATCH", path, headers=dict(identity))
    response = await send(client, wrong, "r-405")
    _assert_refused(response, 405, "r-405", "wrong method")
    assert method in response.headers["Allow"]


@pytest.mark.parametrize("service", ["class_management_service"], indirect=True)
async def test_a_utf16_roster_file_is_imported_and_a_nul_inside_it_refused(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    _, client = service
    body = {"name": "9B", "course_codes": ["ENG5"]}
    created = await client.post("/v1/classes/", json=body, headers=TEACHER)
    path = f"/v1/classes/{created.json()['id']}/students/import"
    roster = "first_name\tlast_name\temail\nÅsa\tLind\tasa@example.org\n"
    for number, (text, status) in enumerate(
        [(roster, 200), (roster.replace("Lind", "L\x00"), 400)]
    ):
        part = [("file", ("roster.txt", text.encode("utf-16"), "text/plain"))]
        request = Request("POST", path, headers=dict(TEACHER), files=part)
        response = await send(client, request, f"u16-{number}")
        assert response.status_code == status, response.text[:300]
        assert response.headers["X-Correlation-ID"] == f"u16-{number}"


async def test_an_encoded_slash_is_a_404_and_a_trailing_slash_no_redirect(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    _, client = service
    for number, path in enumerate(["/v1/classes/%2F/students/%2F", "/v1/classes/%2f"]):
        response = await send(client, Request("GET", path, headers=dict(TEACHER)), f"s-{number}")
        _assert_refused(response, 404, f"s-{number}", path)
        assert response.json()["error_code"] == "RESOURCE_NOT_FOUND"
    trailing = await send(client, Request("GET", "/healthz/"), "s-2")
    assert trailing.status_code == 200, trailing.text
