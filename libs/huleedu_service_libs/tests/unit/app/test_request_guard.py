"""The request guard of the app skeleton: what no route sees, and how each refusal reads."""

from __future__ import annotations

from typing import Any

import pytest
from dishka import make_async_container
from pydantic import BaseModel
from quart import Blueprint, request
from quart_dishka import QuartProvider
from quart_schema import validate_request
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.app.request_guard import RequestLimits
from huleedu_service_libs.correlation import CorrelationProvider, request_correlation


class Note(BaseModel):
    text: str
    count: int
    score: float = 0.0


routes = Blueprint("notes", __name__)


@routes.post("/notes")
@validate_request(Note)
async def create_note(data: Note) -> dict[str, Any]:
    return {"text": data.text, "count": data.count, "again": await request.get_json()}


@routes.post("/raw")
async def raw() -> dict[str, Any]:
    return {"form": dict(await request.form), "size": len(await request.get_data())}


@routes.get("/items/<name>")
async def item(name: str) -> dict[str, str]:
    return {"name": name, **request.args}


def _app(limits: RequestLimits | None = None) -> HuleEduApp:
    return create_service_app(
        service_name="guarded",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine("postgresql+asyncpg://unused@127.0.0.1:9/unused"),
        blueprints=[routes],
        request_limits=limits,
    )


async def _post(app: HuleEduApp, path: str, body: bytes, content_type: str, **headers: str) -> Any:
    client = app.test_client()
    response = await client.post(
        path,
        data=body,
        headers={"Content-Type": content_type, "X-Correlation-ID": "g-1", **headers},
    )
    return response.status_code, await response.get_json(), response.headers


def _refusal(answer: Any, status: int, field: str) -> dict[str, Any]:
    code, body, headers = answer
    assert code == status, body
    assert body["service"] == "guarded"
    assert headers["X-Correlation-ID"] == body["original_correlation_id"]
    if status == 400:
        assert body["error_code"] == "VALIDATION_ERROR"
        assert body["details"]["field"] == field, body
    detail: dict[str, Any] = body
    return detail


async def test_a_clean_body_passes_and_is_parsed_once() -> None:
    code, body, _ = await _post(
        _app(), "/notes", b'{"text": "a\\tb\\nc", "count": 2}', "application/json"
    )
    assert code == 200, body
    assert body == {"text": "a\tb\nc", "count": 2, "again": {"text": "a\tb\nc", "count": 2}}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"text": "a\\u0000b", "count": 1}', "body.text"),
        (b'{"text": "ok", "count": 1, "x": [["\\u001b"]]}', "body.x[0][0]"),
        (b'{"te\\u007fxt": "ok", "count": 1}', "body key 'te\\x7fxt'"),
        (b'{"text": "\\u0085", "count": 1}', "body.text"),
    ],
    ids=["NUL", "ESC nested", "DEL in a key", "C1 control"],
)
async def test_a_control_character_in_json_is_a_400_naming_where(raw: bytes, field: str) -> None:
    detail = _refusal(await _post(_app(), "/notes", raw, "application/json"), 400, field)
    assert detail["details"]["character"].startswith("U+")


async def test_nesting_past_the_limit_is_a_400_and_deep_nesting_never_a_500() -> None:
    app = _app(RequestLimits(max_json_depth=3))
    three = b'{"text": "ok", "count": 1, "x": [[1]]}'
    assert (await _post(app, "/notes", three, "application/json"))[0] == 200
    four = b'{"text": "ok", "count": 1, "x": [[[1]]]}'
    detail = _refusal(await _post(app, "/notes", four, "application/json"), 400, "body.x[0][0]")
    assert detail["details"]["max_depth"] == 3
    deep = b"[" * 100_000 + b"]" * 100_000
    _refusal(await _post(_app(), "/notes", deep, "application/json"), 400, "body")


async def test_a_json_body_over_the_limit_is_a_413() -> None:
    app = _app(RequestLimits(max_json_bytes=64))
    body = b'{"text": "' + b"x" * 100 + b'", "count": 1}'
    detail = _refusal(await _post(app, "/notes", body, "application/json"), 413, "")
    assert detail["error_code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "a", "count": true}', b'{"text": "a", "count": 1.0}', b'{"text": 5, "count": 1}'],
    ids=["bool as int", "float as int", "int as str"],
)
async def test_a_declared_model_is_validated_strictly(raw: bytes) -> None:
    detail = _refusal(await _post(_app(), "/notes", raw, "application/json"), 422, "")
    assert detail["error_code"] == "SCHEMA_VALIDATION_ERROR"
    assert detail["details"]["errors"][0]["loc"][0] in {"count", "text"}


async def test_an_integer_for_a_float_is_still_accepted() -> None:
    code, body, _ = await _post(
        _app(), "/notes", b'{"text": "a", "count": 1, "score": 2}', "application/json"
    )
    assert code == 200, body


@pytest.mark.parametrize(
    ("raw", "content_type", "field"),
    [
        (b"first,last\nAda\x00,L\n", "text/csv", "body"),
        (b"name=a%00b", "application/x-www-form-urlencoded", "form field 'name'"),
    ],
)
async def test_text_and_form_bodies_are_checked(raw: bytes, content_type: str, field: str) -> None:
    _refusal(await _post(_app(), "/raw", raw, content_type), 400, field)
    clean = raw.replace(b"\x00", b"").replace(b"%00", b"")
    assert (await _post(_app(), "/raw", clean, content_type))[0] == 200


@pytest.mark.parametrize(
    ("path", "headers", "field"),
    [
        ("/items/a%00b", {}, "path parameter 'name'"),
        ("/items/a?q=%7F", {}, "query 'q'"),
        ("/items/a", {"X-Note": "tab\tok but not \x1b"}, "header X-Note"),
    ],
)
async def test_path_query_and_headers_are_checked(
    path: str, headers: dict[str, str], field: str
) -> None:
    response = await _app().test_client().get(path, headers={"X-Correlation-ID": "g-2", **headers})
    body = await response.get_json()
    _refusal((response.status_code, body, response.headers), 400, field)
    assert body["original_correlation_id"] == "g-2"


async def test_a_control_character_in_the_correlation_id_is_a_400_with_a_fresh_id() -> None:
    response = await _app().test_client().get("/items/a", headers={"X-Correlation-ID": "a\x7fb"})
    body = await response.get_json()
    assert response.status_code == 400, body
    assert body["details"]["field"] == "header X-Correlation-Id"
    assert response.headers["X-Correlation-ID"] == body["original_correlation_id"] != "a\x7fb"


async def test_a_refusal_carries_the_request_correlation_even_before_the_middleware() -> None:
    app = _app()
    async with app.test_request_context("/items/a", headers={"X-Correlation-ID": "g-3"}):
        assert request_correlation().original == "g-3"  # read from the header, nothing active
    assert request_correlation().original != "g-3"  # outside a request: a generated one
