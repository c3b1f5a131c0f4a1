"""Which requests are recorded: the caller's decision when it sends `traceparent`, the ratio for a
new trace; an unsampled request records nothing and passes its decision on."""

from __future__ import annotations

import socket

import httpx
from dishka import make_async_container
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.http_client import ServiceClient
from huleedu_service_libs.observability import current_trace_context
from huleedu_service_libs.resilience import CircuitBreaker
from huleedu_service_libs.testing.tracing import traced

SERVICE = "file_service"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


def _app() -> HuleEduApp:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_service_app(
        service_name=SERVICE,
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/x"),
    )

    @app.get("/v1/items/<item_id>")
    async def item(item_id: str) -> dict[str, object]:
        context = trace.get_current_span().get_span_context()
        return {
            "trace_id": format(context.trace_id, "032x"),
            "sampled": context.trace_flags.sampled,
            "carried": current_trace_context(),
            "instrumented": is_instrumentation_enabled(),
        }

    return app


async def _get(ratio: float, traceparent: str | None = None) -> dict[str, object]:
    traced(SERVICE, ratio)
    app = _app()
    headers = {"traceparent": traceparent} if traceparent else {}
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Quart's ASGI types
    async with app.test_app(), httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://file/v1/items/7", headers=headers)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_a_new_request_at_ratio_zero_records_nothing_and_carries_no_context(
    spans: InMemorySpanExporter,
) -> None:
    seen = await _get(0.0)

    assert spans.get_finished_spans() == ()
    assert seen["sampled"] is False
    assert seen["carried"] == {}
    assert seen["instrumented"] is False  # Redis, SQL and httpx spans skipped at once


async def test_a_new_request_at_ratio_one_is_a_recorded_server_span(
    spans: InMemorySpanExporter,
) -> None:
    seen = await _get(1.0)

    [span] = spans.get_finished_spans()
    assert (span.kind, span.name, span.parent) == (SpanKind.SERVER, "GET /v1/items/<item_id>", None)
    assert seen["trace_id"] == format(span.context.trace_id, "032x")
    assert seen["instrumented"] is True


async def test_a_sampled_caller_is_followed_whatever_the_ratio(
    spans: InMemorySpanExporter,
) -> None:
    seen = await _get(0.0, f"00-{CALLER_TRACE}-{CALLER_SPAN}-01")

    [span] = spans.get_finished_spans()
    assert span.parent is not None
    assert (format(span.parent.span_id, "016x"), seen["trace_id"]) == (CALLER_SPAN, CALLER_TRACE)


async def test_an_unsampled_caller_is_followed_whatever_the_ratio(
    spans: InMemorySpanExporter,
) -> None:
    seen = await _get(1.0, f"00-{CALLER_TRACE}-{CALLER_SPAN}-00")

    assert spans.get_finished_spans() == ()
    assert (seen["trace_id"], seen["sampled"]) == (CALLER_TRACE, False)


async def test_an_unsampled_request_passes_its_decision_to_the_next_service(
    spans: InMemorySpanExporter,
) -> None:
    """The service client sends `traceparent` with the sampled flag off (the HTTP
    instrumentation is suppressed), so the next service does not start a trace of its own."""
    provider = traced(SERVICE, 0.0)
    outgoing: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        outgoing.append(request.headers.get("traceparent", ""))
        return httpx.Response(204)

    app = _app()

    @app.get("/v1/relay")
    async def relay() -> dict[str, object]:
        async with _client(httpx.MockTransport(answer), provider) as client:
            await client.get("/v1/x")
        context = trace.get_current_span().get_span_context()
        return {"trace_id": format(context.trace_id, "032x")}

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with app.test_app(), httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://file/v1/relay")

    [sent] = outgoing
    version, trace_id, _, flags = sent.split("-")
    assert (version, trace_id, flags) == ("00", response.json()["trace_id"], "00")
    assert spans.get_finished_spans() == ()


async def test_a_recorded_request_sends_its_client_spans_context(
    spans: InMemorySpanExporter,
) -> None:
    provider = traced(SERVICE, 1.0)
    outgoing: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        outgoing.append(request.headers["traceparent"])
        return httpx.Response(204)

    async with _client(httpx.MockTransport(answer), provider) as client:
        await client.get("/v1/x")

    [client_span] = spans.get_finished_spans()
    [(version, trace_id, span_id, flags)] = [sent.split("-") for sent in outgoing]
    assert (version, trace_id, span_id) == (
        "00",
        f"{client_span.context.trace_id:032x}",
        f"{client_span.context.span_id:016x}",
    )
    assert int(flags, 16) & 0x01  # sampled


def _client(transport: httpx.MockTransport, provider: TracerProvider) -> ServiceClient:
    return ServiceClient(
        service_name=SERVICE,
        target_service="next_service",
        base_url="http://next",
        internal_api_key=SecretStr("k"),
        breaker=CircuitBreaker("next_service"),
        transport=transport,
        tracer_provider=provider,
    )
