"""OpenTelemetry tracing of a service process, set up from its settings.

`setup_tracing(service_name, settings)` builds the service's tracer provider once per process
(a resource naming the service, a parent-based ratio sampler that records the requests
`SampledRequests` chose, a batching OTLP/HTTP exporter) and
makes it the global one. With TRACING_ENABLED off it builds nothing and returns None: the
instrumentation is then never installed, and the OpenTelemetry API's no-op tracer answers the
few hand-written spans. Each instrumented object (app, engine, HTTP and Redis clients, consumer)
asks `tracer_provider_of` for its service's provider, so several services in one test process
keep their own `service.name`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)

from huleedu_service_libs.observability.sampling import RequestSampler

TRACES_PATH = "/v1/traces"


class TracingSettings(Protocol):
    """The settings fields tracing reads (every service's settings have them)."""

    TRACING_ENABLED: bool
    TRACING_OTLP_ENDPOINT: str | None
    TRACING_SAMPLE_RATIO: float


_providers: dict[str, TracerProvider] = {}
_settings_services: dict[type[TracingSettings], str] = {}
_test_exporter: list[SpanExporter] = []


def setup_tracing(service_name: str, settings: TracingSettings) -> TracerProvider | None:
    """The service's tracer provider, built on the first call; None when tracing is off."""
    if not settings.TRACING_ENABLED:
        return None
    _settings_services[type(settings)] = service_name
    if service_name not in _providers:
        _providers[service_name] = _build_provider(service_name, settings)
        _make_global(_providers[service_name])
    return _providers[service_name]


def tracer_provider_of(service_name: str) -> TracerProvider | None:
    return _providers.get(service_name)


def tracer_provider_for(settings: TracingSettings) -> TracerProvider | None:
    """The provider `setup_tracing` built for the service these settings belong to."""
    if not settings.TRACING_ENABLED:
        return None
    service_name = _settings_services.get(type(settings))
    return None if service_name is None else _providers.get(service_name)


def shutdown_tracing() -> None:
    """Exports what is still queued and forgets the providers (the process is about to end; a
    benchmark or test that sets tracing up again gets new ones)."""
    for provider in _providers.values():
        provider.shutdown()
    _providers.clear()
    _settings_services.clear()


@contextmanager
def exporting_to(exporter: SpanExporter) -> Iterator[None]:
    """Test hook: providers built inside export to `exporter` at each span's end (no batching,
    no network); they are forgotten on exit, so the next test builds its own."""
    _test_exporter.append(exporter)
    try:
        yield
    finally:
        _test_exporter.remove(exporter)
        shutdown_tracing()


def _build_provider(service_name: str, settings: TracingSettings) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        sampler=RequestSampler(settings.TRACING_SAMPLE_RATIO),
    )
    provider.add_span_processor(_processor(settings))
    return provider


def _processor(settings: TracingSettings) -> SpanProcessor:
    if _test_exporter:
        return SimpleSpanProcessor(_test_exporter[-1])
    return BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(settings)))


def _traces_url(settings: TracingSettings) -> str | None:
    """None lets the exporter read OTEL_EXPORTER_OTLP_* (or use localhost:4318)."""
    base = settings.TRACING_OTLP_ENDPOINT
    if base is None:
        return None
    return base if base.endswith(TRACES_PATH) else base.rstrip("/") + TRACES_PATH


def _make_global(provider: TracerProvider) -> None:
    # The API keeps the first global provider for good; a test process with several services
    # keeps the first, which only code that asks for no particular service uses.
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
