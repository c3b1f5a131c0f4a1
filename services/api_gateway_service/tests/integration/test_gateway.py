"""The gateway served for real (Uvicorn) in front of a recording service, on the test Redis."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio

from huleedu_service_libs.identity import SIGNATURE_HEADER, TIMESTAMP_HEADER, identity_signature
from services.api_gateway_service.app import create_app
from services.api_gateway_service.tests.support import (
    SIGNING_SECRET,
    gateway_settings,
    public_pem,
    rsa_key,
    serving,
    token,
)

pytestmark = pytest.mark.integration
KEY = rsa_key()
MB = 1024 * 1024


@dataclass
class Recorder:
    """A service that answers 200 with what it received; it reads bodies chunk by chunk."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        size, largest = 0, 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size, largest = size + len(chunk), max(largest, len(chunk))
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        record = {"path": scope["path"], "query": scope["query_string"].decode(), "size": size}
        self.seen.append(record | {"headers": headers, "largest_chunk": largest})
        body = json.dumps(record).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-from", b"service"),
                    (b"set-cookie", f"session={headers.get('x-user-id')}; Path=/".encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass
class Stack:
    url: str
    service: Recorder


@pytest.fixture
async def stack(redis_url: str, settings_values: dict[str, Any]) -> AsyncIterator[Stack]:
    recorder = Recorder()
    async with serving(recorder) as service_url:
        urls = dict.fromkeys(
            ("ENTITLEMENTS_URL", "FILE_SERVICE_URL", "CLASS_MANAGEMENT_URL"), service_url
        )
        settings = gateway_settings(
            public_pem(KEY), REDIS_URL=redis_url, CJ_ASSESSMENT_URL=service_url, **urls
        )
        settings = settings.model_copy(update=settings_values)
        async with serving(create_app(settings)) as gateway_url:
            yield Stack(gateway_url, recorder)


@pytest.fixture
def settings_values() -> dict[str, Any]:
    return {}


def bearer(**claim_values: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(KEY, **claim_values)}"}


async def get(stack: Stack, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url) as client:
        return await client.get(path, headers=headers)


def assert_error(response: httpx.Response, status: int, code: str, correlation: str) -> None:
    body = response.json()
    assert response.status_code == status, body
    assert body["error_code"] == code
    assert body["service"] == "api_gateway_service"
    assert body["original_correlation_id"] == correlation
    assert response.headers["X-Correlation-ID"] == correlation


async def test_the_identity_reaches_the_service_signed_and_client_ids_never_do(
    stack: Stack,
) -> None:
    forged = {
        "X-User-ID": "someone-else",
        "X-Internal-API-Key": "guess",
        "X-Admin-API-Key": "guess",
        "X-Admin-User": "ops",
        "X-Gateway-Signature": "0" * 64,
        "X-Org-ID": "org-1",
        "X-Correlation-ID": "journey-1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    response = await get(
        stack, "/v1/classes/abc?limit=5", bearer(user="t-1", orgs=["org-1"]) | forged
    )

    assert response.status_code == 200, response.text
    assert response.headers["x-from"] == "service"
    assert response.headers["X-Correlation-ID"] == "journey-1"
    [seen] = stack.service.seen
    headers = seen["headers"]
    assert (seen["path"], seen["query"]) == ("/v1/classes/abc", "limit=5")
    assert (headers["x-user-id"], headers["x-org-id"]) == ("t-1", "org-1")
    for stripped in ("x-internal-api-key", "x-admin-api-key", "x-admin-user", "authorization"):
        assert stripped not in headers
    assert headers["x-correlation-id"] == "journey-1"
    assert headers["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    expected = identity_signature(
        SIGNING_SECRET,
        user_id="t-1",
        org_id="org-1",
        method="GET",
        path="/v1/classes/abc",
        timestamp=int(headers[TIMESTAMP_HEADER.lower()]),
    )
    assert headers[SIGNATURE_HEADER.lower()] == expected


async def test_a_cookie_a_service_sets_for_one_caller_never_reaches_it_for_another(
    stack: Stack,
) -> None:
    first = await get(stack, "/v1/classes", bearer(user="t-1"))
    await get(stack, "/v1/classes", bearer(user="t-2"))

    assert first.headers["set-cookie"].startswith("session=t-1")
    assert [seen["headers"].get("cookie") for seen in stack.service.seen] == [None, None]


async def test_without_a_token_nothing_reaches_a_service(stack: Stack) -> None:
    for headers in [{}, {"Authorization": "Basic dTpw"}, {"Authorization": "Bearer x.y.z"}]:
        response = await get(stack, "/v1/classes", headers | {"X-Correlation-ID": "c-1"})
        assert_error(response, 401, "AUTHENTICATION_ERROR", "c-1")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert stack.service.seen == []


async def test_an_org_not_in_the_token_is_a_403(stack: Stack) -> None:
    headers = bearer(orgs=["org-1"]) | {"X-Org-ID": "org-2", "X-Correlation-ID": "c-2"}
    response = await get(stack, "/v1/entitlements/balance", headers)
    assert_error(response, 403, "AUTHORIZATION_ERROR", "c-2")
    assert response.json()["details"] == {"header": "X-Org-ID"}
    assert stack.service.seen == []


@pytest.mark.parametrize(
    "path",
    ["/internal/v1/entitlements/consume", "/admin/v1/entitlements/x", "/v1/unknown", "/v1/"],
)
async def test_internal_admin_and_unknown_routes_are_never_proxied(stack: Stack, path: str) -> None:
    response = await get(stack, path, bearer() | {"X-Correlation-ID": "c-3"})
    assert response.status_code == 404
    assert stack.service.seen == []


@pytest.mark.parametrize("settings_values", [{"RATE_LIMIT_PER_MINUTE": 3}])
async def test_a_user_over_the_rate_limit_gets_a_429(stack: Stack) -> None:
    statuses = [
        (await get(stack, "/v1/classes", bearer(user="busy"))).status_code for _ in range(4)
    ]
    other = await get(stack, "/v1/classes", bearer(user="calm"))
    refused = await get(stack, "/v1/classes", bearer(user="busy") | {"X-Correlation-ID": "c-4"})

    assert (statuses, other.status_code) == ([200, 200, 200, 429], 200)
    assert_error(refused, 429, "RATE_LIMIT", "c-4")
    assert int(refused.headers["Retry-After"]) >= 1


async def test_a_users_window_count_expires_with_its_window(stack: Stack, redis_url: str) -> None:
    for _ in range(2):
        await get(stack, "/v1/classes", bearer(user="counted"))
    client = redis_asyncio.from_url(redis_url)
    try:
        [key] = await client.keys("api_gateway:rate:*:counted")
        count, ttl = await client.get(key), await client.ttl(key)
    finally:
        await client.aclose()
    assert count == b"2"
    assert 0 < ttl <= 61


@pytest.mark.parametrize("settings_values", [{"MAX_REQUEST_BYTES": 64 * 1024}])
async def test_a_body_over_the_limit_is_a_413(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as client:
        declared = await client.post(
            "/v1/files/batch", content=b"x" * (65 * 1024), headers=bearer()
        )

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"x" * 32 * 1024

        streamed = await client.post("/v1/files/batch", content=chunks(), headers=bearer())
    assert declared.status_code == 413
    assert declared.json()["error_code"] == "PAYLOAD_TOO_LARGE"
    assert streamed.status_code == 413


async def test_a_20_mb_upload_streams_through_without_being_held(stack: Stack) -> None:
    chunk = b"e" * (256 * 1024)

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(80):  # 20 MB
            yield chunk

    tracemalloc.start()
    try:
        async with httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
            response = await client.post(
                "/v1/files/batch",
                content=upload(),
                headers=bearer() | {"Content-Type": "text/plain"},
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200, response.text
    assert response.json()["size"] == 20 * MB
    # Client, gateway and service share this process: none of them held the body whole.
    assert peak < 8 * MB, f"peak traced memory {peak / MB:.1f} MB"


@pytest.mark.parametrize("settings_values", [{"CORS_ALLOWED_ORIGINS": "https://app.test"}])
async def test_cors_answers_configured_origins_only(stack: Stack) -> None:
    preflight = {"Origin": "https://app.test", "Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(base_url=stack.url) as client:
        allowed = await client.options("/v1/classes", headers=preflight)
        other = await client.options(
            "/v1/classes", headers=preflight | {"Origin": "https://x.test"}
        )
        simple = await client.get("/v1/classes", headers=bearer() | {"Origin": "https://app.test"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.test"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.test"


async def test_health_and_metrics_are_the_gateways_own(stack: Stack) -> None:
    await get(stack, "/v1/classes", bearer())
    health = await get(stack, "/healthz", {})
    metrics = await get(stack, "/metrics", {})
    assert (health.status_code, health.json()["service"]) == (200, "api_gateway_service")
    assert 'http_requests_total{method="GET",route="/v1/classes",status="200"} 1.0' in metrics.text
