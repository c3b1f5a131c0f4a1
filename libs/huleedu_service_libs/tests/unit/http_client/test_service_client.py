from collections.abc import AsyncIterator, Callable
from uuid import UUID

import httpx
import pytest
from dishka import Provider, Scope, make_async_container, provide
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from huleedu_service_libs.config import SecureServiceSettings, load_settings
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.error_handling import HuleEduError
from huleedu_service_libs.http_client import ServiceClient, create_service_client
from huleedu_service_libs.resilience import CircuitBreaker

KEY = "internal-key-for-tests"


class FakeClock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """Stands in for the file service: records what arrived and answers as told."""

    def __init__(self) -> None:
        self.received: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = lambda _: httpx.Response(
            200, json={"text": "essay"}
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        return self.answer(request)


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(upstream: Upstream, clock: FakeClock) -> AsyncIterator[ServiceClient]:
    breaker = CircuitBreaker("file_service", failure_threshold=2, recovery_timeout=10, clock=clock)
    async with ServiceClient(
        service_name="cj_assessment_service",
        target_service="file_service",
        base_url="http://file-service",
        internal_api_key=SecretStr(KEY),
        breaker=breaker,
        transport=httpx.MockTransport(upstream.handle),
    ) as service_client:
        yield service_client


async def call_error(client: ServiceClient, code: str, path: str = "/content/1") -> HuleEduError:
    with pytest.raises(HuleEduError) as raised:
        await client.get(path)
    assert raised.value.error_detail.error_code == code
    return raised.value


async def external_error(client: ServiceClient, path: str = "/content/1") -> HuleEduError:
    return await call_error(client, "EXTERNAL_SERVICE_ERROR", path)


async def unavailable_error(client: ServiceClient, path: str = "/content/1") -> HuleEduError:
    error = await call_error(client, "SERVICE_UNAVAILABLE", path)
    assert error.error_detail.message.startswith("file_service is unavailable")
    assert error.http_status == 503
    return error


async def test_sends_key_and_current_correlation(client: ServiceClient, upstream: Upstream) -> None:
    with correlation_scope(CorrelationContext.from_header("teacher-request-5")):
        response = await client.get("/content/1", params={"v": "2"})

    [request] = upstream.received
    assert response.json() == {"text": "essay"}
    assert request.url == "http://file-service/content/1?v=2"
    assert request.headers["X-Internal-API-Key"] == KEY
    assert request.headers["X-Correlation-ID"] == "teacher-request-5"


async def test_without_a_context_a_fresh_id_is_sent(
    client: ServiceClient, upstream: Upstream
) -> None:
    await client.post("/batches", json={"a": 1})

    UUID(upstream.received[0].headers["X-Correlation-ID"])


async def test_client_errors_are_returned_to_the_caller(
    client: ServiceClient, upstream: Upstream
) -> None:
    upstream.answer = lambda _: httpx.Response(404, json={"error_code": "RESOURCE_NOT_FOUND"})

    for _ in range(3):
        assert (await client.get("/content/missing")).status_code == 404


async def test_server_errors_become_external_service_errors(
    client: ServiceClient, upstream: Upstream
) -> None:
    upstream.answer = lambda _: httpx.Response(500)
    context = CorrelationContext.from_header("trace-me")

    with correlation_scope(context):
        error = await external_error(client)

    detail = error.error_detail
    assert detail.details == {"target_service": "file_service", "status_code": 500}
    assert detail.correlation_id == context.uuid
    assert detail.original_correlation_id == "trace-me"
    assert detail.service == "cj_assessment_service"
    assert error.http_status == 502


async def test_a_503_answer_means_the_service_is_unavailable(
    client: ServiceClient, upstream: Upstream
) -> None:
    upstream.answer = lambda _: httpx.Response(503)

    error = await unavailable_error(client)

    assert error.error_detail.details == {"target_service": "file_service", "status_code": 503}


async def test_connection_errors_are_unavailable_and_timeouts_external_service_errors(
    client: ServiceClient, upstream: Upstream, clock: FakeClock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    upstream.answer = refuse
    assert (await unavailable_error(client)).error_detail.details["reason"] == "ConnectError"
    clock.now += 100  # keep the breaker out of the way
    upstream.answer = stall
    assert "timed out" in (await external_error(client)).error_detail.message


async def test_open_circuit_fails_fast_without_calling(
    client: ServiceClient, upstream: Upstream, clock: FakeClock
) -> None:
    upstream.answer = lambda _: httpx.Response(500)
    await external_error(client)
    await external_error(client)

    error = await unavailable_error(client)

    assert len(upstream.received) == 2
    assert "circuit open" in error.error_detail.message
    assert error.error_detail.details["retry_after_seconds"] == pytest.approx(10)


async def test_circuit_closes_again_after_a_successful_trial(
    client: ServiceClient, upstream: Upstream, clock: FakeClock
) -> None:
    upstream.answer = lambda _: httpx.Response(500)
    await external_error(client)
    await external_error(client)
    clock.now += 10
    upstream.answer = lambda _: httpx.Response(200, json={})

    assert (await client.get("/content/1")).status_code == 200
    assert (await client.get("/content/2")).status_code == 200
    assert len(upstream.received) == 4


class ClientSettings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLIENT_DEMO_")


class ClientProvider(Provider):
    def __init__(self, upstream: Upstream) -> None:
        super().__init__()
        self.upstream = upstream

    @provide(scope=Scope.APP)
    def settings(self) -> ClientSettings:
        return load_settings(
            ClientSettings,
            DATABASE_URL="postgresql+asyncpg://x/y",
            INTERNAL_API_KEY=SecretStr("from-settings"),
            CIRCUIT_BREAKER_FAILURE_THRESHOLD=1,
        )

    @provide(scope=Scope.APP)
    async def file_service_client(self, settings: ClientSettings) -> AsyncIterator[ServiceClient]:
        async with create_service_client(
            settings,
            service_name="cj_assessment_service",
            target_service="file_service",
            base_url="http://file-service",
            transport=httpx.MockTransport(self.upstream.handle),
        ) as service_client:
            yield service_client


async def test_client_built_from_settings_lives_in_the_container(upstream: Upstream) -> None:
    container = make_async_container(ClientProvider(upstream))
    service_client = await container.get(ServiceClient)
    upstream.answer = lambda _: httpx.Response(500)

    await external_error(service_client)
    await unavailable_error(service_client)  # the circuit opened after one failure
    await container.close()

    assert len(upstream.received) == 1
    assert upstream.received[0].headers["X-Internal-API-Key"] == "from-settings"
    assert service_client.is_closed
