from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, NoReturn

import httpx
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr

from common_core.error_enums import AnyErrorCode, ErrorCode
from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.correlation import (
    CORRELATION_HEADER,
    CorrelationContext,
    current_correlation,
)
from huleedu_service_libs.error_handling import HuleEduError
from huleedu_service_libs.error_handling.dependencies import unavailable_message
from huleedu_service_libs.observability.instrumentation import trace_http_client
from huleedu_service_libs.observability.sampling import carried_decision
from huleedu_service_libs.observability.tracing import tracer_provider_of
from huleedu_service_libs.resilience import CircuitBreaker, CircuitOpenError, Clock

INTERNAL_API_KEY_HEADER = "X-Internal-API-Key"


class ServiceClient:
    """Calls another HuleEdu service. Responses below 500 are returned as they are. A service that
    cannot be reached (connect refused or timed out, open circuit) or that answers 503 raises
    HuleEduError(SERVICE_UNAVAILABLE, "<target> is unavailable"), a 503; a service reached that
    fails the exchange (other 5xx, read timeout, broken response) raises
    HuleEduError(EXTERNAL_SERVICE_ERROR), a 502."""

    def __init__(
        self,
        *,
        service_name: str,
        target_service: str,
        base_url: str,
        internal_api_key: SecretStr,
        breaker: CircuitBreaker,
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.service_name = service_name
        self.target_service = target_service
        self._breaker = breaker
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_seconds,
            transport=transport,
            headers={INTERNAL_API_KEY_HEADER: internal_api_key.get_secret_value()},
        )
        if tracer_provider is not None:
            trace_http_client(self._http, tracer_provider)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        correlation = current_correlation() or CorrelationContext.generate()
        call = _Call(self, method, path, correlation)
        sent_headers = {
            **(headers or {}),
            CORRELATION_HEADER: correlation.original,
            **carried_decision(),
        }
        try:
            return await self._breaker.call(
                call.send, self._http, json=json, params=params, headers=sent_headers
            )
        except CircuitOpenError as error:
            call.unavailable("circuit open", retry_after_seconds=error.retry_after_seconds)

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> httpx.Response:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, *, json: Any = None) -> httpx.Response:
        return await self.request("POST", path, json=json)

    async def put(self, path: str, *, json: Any = None) -> httpx.Response:
        return await self.request("PUT", path, json=json)

    async def delete(self, path: str) -> httpx.Response:
        return await self.request("DELETE", path)

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Call:
    def __init__(
        self, client: ServiceClient, method: str, path: str, correlation: CorrelationContext
    ) -> None:
        self.client, self.method, self.path, self.correlation = client, method, path, correlation

    async def send(self, http: httpx.AsyncClient, **options: Any) -> httpx.Response:
        try:
            response = await http.request(self.method, self.path, **options)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            self.unavailable("not reached", reason=type(error).__name__)
        except httpx.TimeoutException:
            self.fail("timed out")
        except httpx.TransportError as error:
            self.fail("broke off the exchange", reason=type(error).__name__)
        if response.status_code == httpx.codes.SERVICE_UNAVAILABLE:
            self.unavailable("answered 503", status_code=response.status_code)
        if response.status_code >= 500:
            self.fail("answered with a server error", status_code=response.status_code)
        return response

    def unavailable(self, why: str, **details: Any) -> NoReturn:
        message = f"{unavailable_message(self.client.target_service)} ({why})"
        self._raise(ErrorCode.SERVICE_UNAVAILABLE, message, details)

    def fail(self, what: str, **details: Any) -> NoReturn:
        message = f"{self.client.target_service} {what}"
        self._raise(ErrorCode.EXTERNAL_SERVICE_ERROR, message, details)

    def _raise(self, code: AnyErrorCode, message: str, details: dict[str, Any]) -> NoReturn:
        target = self.client.target_service
        raise HuleEduError(
            code,
            message,
            self.correlation.uuid,
            original_correlation_id=self.correlation.original,
            service=self.client.service_name,
            operation=f"{self.method} {target}{self.path}",
            details={"target_service": target, **details},
        )


def create_service_client(
    settings: SecureServiceSettings,
    *,
    service_name: str,
    target_service: str,
    base_url: str,
    clock: Clock = time.monotonic,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceClient:
    return ServiceClient(
        service_name=service_name,
        target_service=target_service,
        base_url=base_url,
        internal_api_key=settings.INTERNAL_API_KEY,
        breaker=CircuitBreaker.from_settings(target_service, settings, clock=clock),
        timeout_seconds=settings.HTTP_CLIENT_TIMEOUT_SECONDS,
        transport=transport,
        tracer_provider=tracer_provider_of(service_name),
    )
