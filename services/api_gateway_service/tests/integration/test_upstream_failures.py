"""What a client hears when something behind the gateway fails before any response began: each
case on real sockets (a closed port, a server that never answers, one that hangs up, an issuer
serving broken key sets), each an ErrorDetail with the caller's correlation id and a log line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from jwt.algorithms import RSAAlgorithm
from structlog.testing import capture_logs

from huleedu_service_libs.testing.processes import free_port
from services.api_gateway_service.app import create_app
from services.api_gateway_service.proxy import GatewayApp
from services.api_gateway_service.rate_limit import RateLimiter
from services.api_gateway_service.tests.support import (
    gateway_settings,
    public_pem,
    rsa_key,
    serving,
    token,
)

pytestmark = pytest.mark.integration
KEY = rsa_key()
CORRELATION = "edge-1"


async def call(app: GatewayApp, path: str = "/v1/classes") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token(KEY, kid='k1')}", "X-Correlation-ID": CORRELATION}
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        return await client.get(path, headers=headers)


def assert_detail(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["error_code"]) == (status, code), body
    assert body["service"] == "api_gateway_service"
    assert body["original_correlation_id"] == CORRELATION
    assert response.headers["X-Correlation-ID"] == CORRELATION
    return body


def logged(logs: list[MutableMapping[str, Any]], event: str) -> MutableMapping[str, Any]:
    [entry] = [log for log in logs if log["event"] == event]
    return entry


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and reads, but never answers until the test is over."""
    done = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    done.set()
    server.close()
    await server.wait_closed()


@pytest.fixture
async def hanging_up_server() -> AsyncIterator[str]:
    """Reads the request head, then closes the connection without a response."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
    await server.wait_closed()


def upstream_gateway(redis_url: str, class_management_url: str, **values: Any) -> GatewayApp:
    settings = gateway_settings(
        public_pem(KEY), REDIS_URL=redis_url, CLASS_MANAGEMENT_URL=class_management_url, **values
    )
    return create_app(settings)


async def test_a_service_refusing_connections_is_a_503(redis_url: str) -> None:
    gateway = upstream_gateway(redis_url, f"http://127.0.0.1:{free_port()}")
    with capture_logs() as logs:
        response = await call(gateway)
    body = assert_detail(response, 503, "SERVICE_UNAVAILABLE")
    assert body["details"] == {"service": "class_management_service"}
    assert logged(logs, "upstream failed")["failure"] == "Unreachable"


async def test_a_service_that_does_not_answer_in_time_is_a_504(
    redis_url: str, silent_server: str
) -> None:
    gateway = upstream_gateway(redis_url, silent_server, UPSTREAM_TIMEOUT_SECONDS=0.3)
    with capture_logs() as logs:
        response = await call(gateway)
    assert_detail(response, 504, "TIMEOUT")
    assert logged(logs, "upstream failed")["failure"] == "TooSlow"


async def test_a_service_hanging_up_without_an_answer_is_a_502(
    redis_url: str, hanging_up_server: str
) -> None:
    with capture_logs() as logs:
        response = await call(upstream_gateway(redis_url, hanging_up_server))
    assert_detail(response, 502, "EXTERNAL_SERVICE_ERROR")
    assert logged(logs, "upstream failed")["failure"] == "Broken"


class _BrokenLimiter(RateLimiter):
    async def retry_after(self, user_id: str, now: float | None = None) -> float | None:
        raise RuntimeError("a bug in the gateway, secret=hunter2")


async def test_a_gateway_bug_is_a_bare_500_with_the_stack_in_the_log(redis_url: str) -> None:
    gateway = upstream_gateway(redis_url, f"http://127.0.0.1:{free_port()}")
    limiter = _BrokenLimiter(gateway.proxy.limiter._client, 1)
    broken = GatewayApp(dataclasses.replace(gateway.proxy, limiter=limiter), gateway.app)
    with capture_logs() as logs:
        response = await call(broken)
    body = assert_detail(response, 500, "UNKNOWN_ERROR")
    assert body["details"] == {}
    assert "hunter2" not in response.text
    assert logged(logs, "request crashed")["exc_info"] is True


def _jwks_document(kind: str) -> bytes:
    if kind == "not-json":
        return b"<html>the issuer is down for maintenance</html>"
    if kind == "not-a-key-set":
        return json.dumps({"keys": "none today"}).encode()
    if kind == "no-signing-keys":
        return json.dumps({"keys": [_public_jwk() | {"use": "enc"}]}).encode()
    return json.dumps({"keys": [_public_jwk()]}).encode()


def _public_jwk() -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    return jwk | {"kid": "k1", "alg": "RS256"}


async def issuer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Serves a key set per path: /good, or one broken the way its path says."""
    if scope["type"] != "http":
        return
    body = _jwks_document(scope["path"].strip("/"))
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def issuer_url() -> AsyncIterator[str]:
    async with serving(issuer) as url:
        yield url


def jwks_gateway(redis_url: str, jwks_url: str) -> GatewayApp:
    settings = gateway_settings(
        None,
        REDIS_URL=redis_url,
        JWT_JWKS_URL=jwks_url,
        CLASS_MANAGEMENT_URL=f"http://127.0.0.1:{free_port()}",
    )
    return create_app(settings)


@pytest.mark.parametrize("kind", ["not-json", "not-a-key-set", "no-signing-keys", "unreachable"])
async def test_an_issuer_whose_keys_cannot_be_had_is_a_503_not_a_401(
    redis_url: str, issuer_url: str, kind: str
) -> None:
    jwks_url = (
        f"http://127.0.0.1:{free_port()}/" if kind == "unreachable" else f"{issuer_url}/{kind}"
    )
    with capture_logs() as logs:
        response = await call(jwks_gateway(redis_url, jwks_url))
    body = assert_detail(response, 503, "SERVICE_UNAVAILABLE")
    assert body["details"] == {"dependency": "jwks"}
    assert "WWW-Authenticate" not in response.headers
    assert logged(logs, "token keys unavailable")["error"]


async def test_a_working_issuer_still_refuses_a_token_whose_key_it_lacks(
    redis_url: str, issuer_url: str
) -> None:
    gateway = jwks_gateway(redis_url, f"{issuer_url}/good")
    unknown_kid = {"Authorization": f"Bearer {token(KEY, kid='k9')}"}
    async with serving(gateway) as url, httpx.AsyncClient(base_url=url) as client:
        refused = await client.get("/v1/classes", headers=unknown_kid)
        # The known key verifies: the route is reached (and the service, not running, is a 503).
        accepted = await client.get(
            "/v1/classes", headers={"Authorization": f"Bearer {token(KEY, kid='k1')}"}
        )
    assert (refused.status_code, refused.json()["error_code"]) == (401, "AUTHENTICATION_ERROR")
    assert accepted.json()["details"] == {"service": "class_management_service"}
