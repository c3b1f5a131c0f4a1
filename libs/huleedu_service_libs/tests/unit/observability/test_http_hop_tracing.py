"""A service-to-service call: the client span's `traceparent` goes out and the server span of
the other service continues it, named by the route template."""

from __future__ import annotations

import socket

import httpx
from dishka import make_async_container
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from quart import request
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.http_client import ServiceClient
from huleedu_service_libs.resilience import CircuitBreaker
from huleedu_service_libs.testing.tracing import traced


def _file_service_app() -> HuleEduApp:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_service_app(
        service_name="file_service",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{port}/x"),
    )

    @app.get("/internal/v1/items/<item_id>")
    async def item(item_id: str) -> dict[str, str]:
        return {"traceparent": request.headers.get("traceparent", "")}

    return app


def _client(app: HuleEduApp) -> ServiceClient:
    return ServiceClient(
        service_name="cj_assessment_service",
        target_service="file_service",
        base_url="http://file-service",
        internal_api_key=SecretStr("k"),
        breaker=CircuitBreaker("file_service"),
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]  # Quart's own ASGI types
        tracer_provider=traced("cj_assessment_service"),
    )


async def test_the_server_span_continues_the_callers_client_span(
    spans: InMemorySpanExporter,
) -> None:
    traced("file_service")
    app = _file_service_app()
    async with app.test_app(), _client(app) as client:
        response = await client.get("/internal/v1/items/42")

    # In one process the caller's span is still current when the app runs, so the ASGI
    # instrumentation makes its span INTERNAL; across processes it is a SERVER span.
    by_service = {
        span.resource.attributes["service.name"]: span for span in spans.get_finished_spans()
    }
    client_span, server_span = by_service["cj_assessment_service"], by_service["file_service"]
    assert client_span.kind is SpanKind.CLIENT
    assert server_span.name == "GET /internal/v1/items/<item_id>"
    assert server_span.parent is not None
    assert server_span.parent.span_id == client_span.context.span_id
    sent = response.json()["traceparent"].split("-")
    assert sent[1:3] == [
        f"{client_span.context.trace_id:032x}",
        f"{client_span.context.span_id:016x}",
    ]


async def test_with_tracing_off_no_header_is_sent_and_no_span_recorded(
    spans: InMemorySpanExporter,
) -> None:
    app = _file_service_app()
    async with (
        app.test_app(),
        ServiceClient(
            service_name="cj_assessment_service",
            target_service="file_service",
            base_url="http://file-service",
            internal_api_key=SecretStr("k"),
            breaker=CircuitBreaker("file_service"),
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        ) as client,
    ):
        response = await client.get("/internal/v1/items/42")

    assert response.json() == {"traceparent": ""}
    assert spans.get_finished_spans() == ()
