"""The maintained OpenTelemetry instrumentations, installed on one object at a time with the
owning service's tracer provider (never process-wide, so nothing is traced with tracing off)."""

from __future__ import annotations

import httpx
import redis.asyncio as redis_asyncio
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_version
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider
from quart import Quart, request
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.observability.sampling import RequestSampler, SampledRequests

ROUTE_ATTRIBUTE = "http.route"
_UNMATCHED = "<unmatched>"


def trace_asgi(app: Quart, provider: TracerProvider) -> None:
    """A SERVER span per request, continuing the caller's `traceparent`, named by the route
    template (`POST /v1/classes/<uuid:class_id>/students`), not by the path; only for the
    requests `SampledRequests` chooses (a sampled caller, or new ones by the provider's ratio)."""
    # Only the request span: the per-message receive/send spans double the work and say little.
    traced = OpenTelemetryMiddleware(
        app.asgi_app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )
    sampler = provider.sampler
    ratio = sampler.ratio if isinstance(sampler, RequestSampler) else 1.0
    app.asgi_app = SampledRequests(app.asgi_app, traced, ratio)  # type: ignore[method-assign,assignment]
    app.before_request(_name_span_by_route)


async def _name_span_by_route() -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    rule = request.url_rule
    route = rule.rule if rule is not None else _UNMATCHED
    span.update_name(f"{request.method} {route}")
    span.set_attribute(ROUTE_ATTRIBUTE, route)


def trace_http_client(client: httpx.AsyncClient, provider: TracerProvider) -> None:
    """A CLIENT span per call; the `traceparent` header goes out with every request."""
    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)


def trace_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A span per statement. The instrumentor is a process-wide singleton that instruments one
    engine, once; its EngineTracer, attached to each engine, serves every engine a process
    builds (the API tests build one per app)."""
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_version)
    connections = (
        NoOpMeterProvider()
        .get_meter("huleedu_service_libs")
        .create_up_down_counter("db.client.connections.usage")
    )
    EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]


def trace_redis(client: redis_asyncio.Redis, provider: TracerProvider) -> None:
    RedisInstrumentor.instrument_client(client, tracer_provider=provider)
