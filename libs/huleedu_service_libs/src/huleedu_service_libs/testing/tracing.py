"""Tracing in tests: settings that turn it on and a provider per service that exports to the
`spans` fixture's in-memory exporter (the pytest plugin)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from huleedu_service_libs.observability import exporting_to, setup_tracing


@dataclass
class TracingOn:
    """The three settings `setup_tracing` reads, tracing on (every new trace by default)."""

    TRACING_ENABLED: bool = True
    TRACING_OTLP_ENDPOINT: str | None = None
    TRACING_SAMPLE_RATIO: float = 1.0


def traced(service_name: str, ratio: float = 1.0) -> TracerProvider:
    """The service's provider, set up (inside `spans`, it exports there)."""
    provider = setup_tracing(service_name, TracingOn(TRACING_SAMPLE_RATIO=ratio))
    assert provider is not None
    return provider


@contextmanager
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the providers set up inside, finished ones readable at once."""
    exporter = InMemorySpanExporter()
    with exporting_to(exporter):
        yield exporter
