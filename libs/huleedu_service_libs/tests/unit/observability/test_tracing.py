"""Tracing from settings: nothing when off; the service's name, sampling and context when on."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from huleedu_service_libs.observability import (
    current_trace_context,
    exporting_to,
    setup_tracing,
    shutdown_tracing,
    tracer_provider_of,
)
from huleedu_service_libs.testing.tracing import TracingOn


def _remote_parent(sampled: bool) -> trace.Span:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=flags)
    return NonRecordingSpan(context)


def test_tracing_off_builds_no_provider(spans: InMemorySpanExporter) -> None:
    assert setup_tracing("svc", TracingOn(TRACING_ENABLED=False)) is None
    assert tracer_provider_of("svc") is None


def test_spans_name_their_service_and_one_provider_serves_each_service(
    spans: InMemorySpanExporter,
) -> None:
    provider = setup_tracing("svc", TracingOn())
    assert provider is not None
    assert setup_tracing("svc", TracingOn()) is provider
    with provider.get_tracer("test").start_as_current_span("work"):
        pass
    [span] = spans.get_finished_spans()
    assert span.resource.attributes["service.name"] == "svc"


def test_a_ratio_of_zero_records_no_new_trace_but_follows_a_recorded_caller(
    spans: InMemorySpanExporter,
) -> None:
    provider = setup_tracing("svc", TracingOn(TRACING_SAMPLE_RATIO=0.0))
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root"):
        pass
    caller = trace.set_span_in_context(_remote_parent(sampled=True))
    with tracer.start_as_current_span("continued", context=caller):
        pass
    assert [span.name for span in spans.get_finished_spans()] == ["continued"]


def test_the_current_context_is_given_only_for_a_recorded_span(
    spans: InMemorySpanExporter,
) -> None:
    assert current_trace_context() == {}
    with trace.use_span(_remote_parent(sampled=False)):
        assert current_trace_context() == {}
    with trace.use_span(_remote_parent(sampled=True)):
        assert current_trace_context() == {"traceparent": f"00-{0x1234:032x}-{0x5678:016x}-01"}


def test_after_shutdown_the_exporter_takes_no_more_spans_and_a_new_setup_starts_afresh(
    spans: InMemorySpanExporter,
) -> None:
    provider = setup_tracing("svc", TracingOn())
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("before"):
        pass
    shutdown_tracing()
    with tracer.start_as_current_span("after"):
        pass
    assert [span.name for span in spans.get_finished_spans()] == ["before"]
    assert tracer_provider_of("svc") is None
    assert setup_tracing("svc", TracingOn()) is not provider


def test_providers_set_up_inside_exporting_to_export_there_and_are_forgotten_on_exit() -> None:
    exporter = InMemorySpanExporter()
    with exporting_to(exporter):
        provider = setup_tracing("svc", TracingOn())
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("inside"):
            pass
    assert [span.name for span in exporter.get_finished_spans()] == ["inside"]
    assert tracer_provider_of("svc") is None
