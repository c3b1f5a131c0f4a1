"""W3C trace context on events: stored in the envelope's metadata by whoever writes the event,
read back from the Kafka headers by the consumer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from common_core.events.envelope import EventEnvelope

TRACE_FIELDS = ("traceparent", "tracestate")
_W3C = TraceContextTextMapPropagator()
_TRACER_NAME = "huleedu_service_libs.kafka"


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span, if it is recorded; else empty."""
    context = trace.get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return {}
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


def with_trace_context(envelope: EventEnvelope[Any]) -> EventEnvelope[Any]:
    """The envelope carrying the current trace context, unless it already carries one."""
    if "traceparent" in envelope.metadata:
        return envelope
    carrier = current_trace_context()
    if not carrier:
        return envelope
    return envelope.model_copy(update={"metadata": {**envelope.metadata, **carrier}})


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> Context:
    carrier = {
        name: bytes(value).decode(errors="replace")
        for name, value in headers or ()
        if name in TRACE_FIELDS
    }
    return _W3C.extract(carrier)


@contextmanager
def consumer_span(
    provider: TracerProvider | None,
    topic: str,
    headers: Iterable[tuple[str, bytes]] | None,
    attributes: Mapping[str, str | int],
) -> Iterator[None]:
    """A CONSUMER span continuing the trace of the record's `traceparent` header; nothing at
    all without a provider (tracing off)."""
    if provider is None:
        yield
        return
    tracer = provider.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"process {topic}",
        context=context_from_headers(headers),
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic, **attributes},
    ):
        yield
