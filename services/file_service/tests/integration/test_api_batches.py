"""Teacher batch routes on real PostgreSQL and Redis: identity, ownership and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.file_service.tests.integration.conftest import new_batch, teacher

pytestmark = pytest.mark.integration


def assert_error(response: httpx.Response, status: int, code: str, correlation: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert body["original_correlation_id"] == correlation
    assert body["service"] == "file_service"
    assert set(body) >= {"message", "correlation_id", "operation", "timestamp", "details"}


async def test_create_list_and_read_own_batches(client: httpx.AsyncClient) -> None:
    body = {"title": "  Autumn essays ", "course_code": "SV2", "class_id": None}
    created = await client.post("/v1/files/batch", json=body, headers=teacher())
    assert created.status_code == 201
    batch = created.json()
    assert (batch["title"], batch["course_code"], batch["locked"]) == (
        "Autumn essays",
        "SV2",
        False,
    )
    for _ in range(2):
        await new_batch(client)
    await new_batch(client, user="other-teacher")

    page = (await client.get("/v1/files/batch?page=1&page_size=2", headers=teacher())).json()
    second = (await client.get("/v1/files/batch?page=2&page_size=2", headers=teacher())).json()

    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert len(second["items"]) == 1
    state = (await client.get(f"/v1/files/batch/{batch['batch_id']}", headers=teacher())).json()
    assert state["files"] == []
    assert state["counts"]["total"] == 0


async def test_another_teachers_batch_is_404(client: httpx.AsyncClient) -> None:
    batch_id = await new_batch(client, user="other-teacher")
    response = await client.get(f"/v1/files/batch/{batch_id}", headers=teacher(correlation="c1"))
    assert_error(response, 404, "RESOURCE_NOT_FOUND", "c1")


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/files/batch", "GET"),
        ("/v1/files/batch", "POST"),
        ("/v1/files/batch/00000000-0000-0000-0000-000000000001/files", "POST"),
        ("/v1/files/batch/00000000-0000-0000-0000-000000000001", "GET"),
        (
            "/v1/files/batch/00000000-0000-0000-0000-000000000001/files/"
            "00000000-0000-0000-0000-000000000002",
            "DELETE",
        ),
    ],
)
async def test_teacher_routes_need_x_user_id(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    body = {"title": "t", "course_code": "ENG5"} if method == "POST" else None
    response = await client.request(method, path, json=body, headers={"X-Correlation-ID": "anon"})
    assert_error(response, 401, "AUTHENTICATION_ERROR", "anon")


async def test_an_overlong_user_id_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/files/batch", headers=teacher(user="u" * 256, correlation="x"))
    assert_error(response, 401, "AUTHENTICATION_ERROR", "x")


BAD_BODIES: dict[str, tuple[Any, int, str]] = {
    "malformed-json": (b"{not json", 400, "VALIDATION_ERROR"),
    "empty-body": (b"", 400, "VALIDATION_ERROR"),
    "missing-title": (b'{"course_code": "ENG5"}', 422, "SCHEMA_VALIDATION_ERROR"),
    "blank-title": (b'{"title": "   ", "course_code": "ENG5"}', 422, "SCHEMA_VALIDATION_ERROR"),
    "long-title": (
        b'{"title": "' + b"t" * 201 + b'", "course_code": "ENG5"}',
        422,
        "SCHEMA_VALIDATION_ERROR",
    ),
    "unknown-course": (b'{"title": "t", "course_code": "MATH1"}', 422, "SCHEMA_VALIDATION_ERROR"),
    "wrong-type": (b'{"title": 5, "course_code": "ENG5"}', 422, "SCHEMA_VALIDATION_ERROR"),
    "bad-class-id": (
        b'{"title": "t", "course_code": "ENG5", "class_id": "x"}',
        422,
        "SCHEMA_VALIDATION_ERROR",
    ),
    "extra-field": (
        b'{"title": "t", "course_code": "ENG5", "owner": "me"}',
        422,
        "SCHEMA_VALIDATION_ERROR",
    ),
    "array": (b"[]", 422, "SCHEMA_VALIDATION_ERROR"),
}


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_bad_create_bodies(
    client: httpx.AsyncClient, body: bytes, status: int, code: str
) -> None:
    headers = {**teacher(correlation="bad"), "Content-Type": "application/json"}
    response = await client.post("/v1/files/batch", content=body, headers=headers)
    assert_error(response, status, code, "bad")


async def test_a_non_json_create_is_415(client: httpx.AsyncClient) -> None:
    headers = {**teacher(correlation="form"), "Content-Type": "text/plain"}
    response = await client.post("/v1/files/batch", content=b"title=x", headers=headers)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", "form")


@pytest.mark.parametrize("query", ["page=0", "page_size=101", "page=x", "page_size=-1"])
async def test_bad_paging_is_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/v1/files/batch?{query}", headers=teacher(correlation="q"))
    assert_error(response, 422, "SCHEMA_VALIDATION_ERROR", "q")


@pytest.mark.parametrize(
    "path", ["/v1/files/batch/not-a-uuid", "/v1/files/batch/00000000-0000-0000-0000-000000000000"]
)
async def test_unknown_batches_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=teacher(correlation="u"))
    assert_error(response, 404, "RESOURCE_NOT_FOUND", "u")


async def test_openapi_lists_the_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/v1/files/batch", "/v1/files/batch/{batch_id}/files"} <= set(paths)
