"""The gateway's ASGI app: `/v1/...` is authenticated and streamed to the owning service; every
other path (/healthz, /metrics, /docs, /openapi.json) is the skeleton's Quart app.

The proxy is plain ASGI, not a Quart route, so that a body moves chunk by chunk with
backpressure: the next chunk is read from the client only when the service took the last one,
and a 20 MB upload is never held whole.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from redis.exceptions import RedisError

from common_core.error_enums import ErrorCode
from huleedu_service_libs.app import UNMATCHED_ROUTE, HttpMetrics
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.error_handling import INTERNAL_ERROR_MESSAGE
from huleedu_service_libs.identity import MAX_ID_LENGTH, ORG_HEADER, signed_identity_headers
from services.api_gateway_service.cors import Cors
from services.api_gateway_service.errors import Refusal, error_response, upstream_refusal
from services.api_gateway_service.headers import (
    CORRELATION_HEADER,
    downstream_headers,
    header,
    upstream_headers,
)
from services.api_gateway_service.rate_limit import RateLimiter
from services.api_gateway_service.routes import Route, Routes
from services.api_gateway_service.tokens import (
    KeysUnavailable,
    Principal,
    TokenRefused,
    TokenVerifier,
)
from services.api_gateway_service.upstream import Upstream, UpstreamFailure, UpstreamResponse

logger = structlog.get_logger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
PROXIED_PREFIX = "/v1/"


class BodyTooLarge(Exception):
    pass


class _TrackedSend:
    """The ASGI send, remembering whether a response has begun (after that, only the
    connection can say something went wrong)."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: dict[str, Any]) -> None:
        self.started = True
        await self._send(message)


@dataclass(frozen=True)
class Proxy:
    routes: Routes
    verifier: TokenVerifier
    limiter: RateLimiter
    upstream: Upstream
    cors: Cors
    metrics: HttpMetrics
    signing_secret: str
    max_request_bytes: int

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        raw: list[tuple[bytes, bytes]] = list(scope["headers"])
        correlation = CorrelationContext.from_header(header(raw, CORRELATION_HEADER))
        method: str = scope["method"]
        route = self.routes.match(scope["path"])
        with correlation_scope(correlation):
            status = await self._answer(scope, receive, _TrackedSend(send), route, correlation)
        template = route.prefix if route is not None else UNMATCHED_ROUTE
        self.metrics.observe(method, template, status, time.perf_counter() - started)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: _TrackedSend,
        route: Route | None,
        correlation: CorrelationContext,
    ) -> int:
        raw: list[tuple[bytes, bytes]] = list(scope["headers"])
        origin = header(raw, "origin")
        method: str = scope["method"]
        try:
            if method == "OPTIONS" and origin is not None:
                return await self._preflight(send, origin, raw)
            if route is None:
                raise Refusal(ErrorCode.RESOURCE_NOT_FOUND, "No public route has this path")
            principal = await self._authenticate(raw)
            org_id = _requested_org(raw, principal)
            await self._limit(principal)
            return await self._forward(
                scope, receive, send, route, principal, org_id, correlation, origin
            )
        except Refusal as refusal:
            return await self._refuse(send, refusal, correlation, method, origin)
        except Exception:
            if send.started:
                raise
            # A bug, not a refusal: the client gets the skeleton's bare 500, the log the stack.
            logger.exception("request crashed", route=route.prefix if route else None)
            crash = Refusal(ErrorCode.UNKNOWN_ERROR, INTERNAL_ERROR_MESSAGE)
            return await self._refuse(send, crash, correlation, method, origin)

    async def _authenticate(self, raw: list[tuple[bytes, bytes]]) -> Principal:
        authorization = header(raw, "authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(
                ErrorCode.AUTHENTICATION_ERROR, "A bearer token is required", header="Authorization"
            )
        try:
            return await self.verifier.verify(token.strip())
        except TokenRefused as refused:
            raise Refusal(
                ErrorCode.AUTHENTICATION_ERROR, str(refused), header="Authorization"
            ) from None
        except KeysUnavailable as unavailable:
            logger.warning("token keys unavailable", error=repr(unavailable.__cause__))
            raise Refusal(
                ErrorCode.SERVICE_UNAVAILABLE,
                "The token issuer's keys cannot be fetched; the token was not judged",
                dependency="jwks",
            ) from None

    async def _limit(self, principal: Principal) -> None:
        try:
            retry_after = await self.limiter.retry_after(principal.user_id)
        except RedisError:
            logger.warning("rate limit store unavailable", exc_info=True)
            raise Refusal(
                ErrorCode.SERVICE_UNAVAILABLE, "The rate limit store is unavailable"
            ) from None
        if retry_after is not None:
            raise Refusal(
                ErrorCode.RATE_LIMIT,
                "Too many requests for this user; retry later",
                retry_after_seconds=round(retry_after, 1),
            )

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route,
        principal: Principal,
        org_id: str | None,
        correlation: CorrelationContext,
        origin: str | None,
    ) -> int:
        raw: list[tuple[bytes, bytes]] = list(scope["headers"])
        declared = header(raw, "content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_request_bytes:
            raise _too_large(self.max_request_bytes)
        identity = signed_identity_headers(
            self.signing_secret,
            user_id=principal.user_id,
            org_id=org_id,
            method=scope["method"],
            path=scope["path"],
        )
        client_address = scope.get("client") or ("", 0)
        try:
            response = await self.upstream.send(
                scope["method"],
                route.base_url,
                _raw_target(scope),
                upstream_headers(raw, identity, correlation.original, str(client_address[0])),
                self._body(receive) if _has_body(raw) else None,
            )
        except BodyTooLarge:
            raise _too_large(self.max_request_bytes) from None
        except UpstreamFailure as failure:
            logger.warning(
                "upstream failed",
                service=route.service,
                failure=type(failure).__name__,
                reason=str(failure),
            )
            raise upstream_refusal(failure, route.service) from None
        try:
            await self._relay(send, response, correlation, origin)
        finally:
            await response.aclose()
        return response.status_code

    async def _body(self, receive: Receive) -> AsyncIterator[bytes]:
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            total += len(chunk)
            if total > self.max_request_bytes:
                raise BodyTooLarge
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def _relay(
        self,
        send: Send,
        response: UpstreamResponse,
        correlation: CorrelationContext,
        origin: str | None,
    ) -> None:
        headers = downstream_headers(response.headers)
        headers += self.cors.response_headers(origin)
        headers.append((CORRELATION_HEADER.encode(), correlation.original.encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        async for chunk in response.body():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _refuse(
        self,
        send: Send,
        refusal: Refusal,
        correlation: CorrelationContext,
        method: str,
        origin: str | None,
    ) -> int:
        logger.info("request refused", error_code=str(refusal.code), reason=refusal.message)
        status, headers, body = error_response(refusal, correlation, f"{method} proxy")
        headers += self.cors.response_headers(origin)
        headers.append((CORRELATION_HEADER.encode(), correlation.original.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return status

    async def _preflight(self, send: Send, origin: str, raw: list[tuple[bytes, bytes]]) -> int:
        headers = self.cors.preflight_headers(origin, header(raw, "access-control-request-headers"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return 204


def _requested_org(raw: list[tuple[bytes, bytes]], principal: Principal) -> str | None:
    requested = (header(raw, ORG_HEADER) or "").strip()
    if not requested:
        return None
    if len(requested) > MAX_ID_LENGTH or requested not in principal.orgs:
        raise Refusal(
            ErrorCode.AUTHORIZATION_ERROR,
            f"The token does not allow acting for this organisation ({ORG_HEADER})",
            header=ORG_HEADER,
        )
    return requested


def _raw_target(scope: Scope) -> bytes:
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return path + (b"?" + query if query else b"")


def _has_body(raw: list[tuple[bytes, bytes]]) -> bool:
    length = header(raw, "content-length")
    return header(raw, "transfer-encoding") is not None or (length is not None and length != "0")


def _too_large(limit: int) -> Refusal:
    return Refusal(ErrorCode.PAYLOAD_TOO_LARGE, f"A request body may be at most {limit} bytes")


class GatewayApp:
    """The ASGI entry: the proxy for `/v1/...`, the Quart app for everything else."""

    def __init__(self, proxy: Proxy, app: Any) -> None:
        self.proxy = proxy
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROXIED_PREFIX):
            await self.proxy.handle(scope, receive, send)
            return
        await self.app(scope, receive, send)
