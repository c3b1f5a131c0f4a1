"""Which requests are traced, decided before the ASGI instrumentation runs.

The ASGI instrumentation does most of its work for every request, recorded or not: it collects
the request's attributes, starts a span, wraps `send`, builds the duration metrics' attributes.
Measured on one entitlements charge, an unsampled request cost almost as much as a recorded
one (benchmarks/RESULTS.md, observability). So `SampledRequests` decides first, from the
caller's `traceparent` and the ratio, and only a request to be recorded goes through the
instrumentation. Any other runs the app directly under an unsampled span context with the
instrumentation suppressed: the Redis, SQLAlchemy and httpx instrumentations return at their
first line (an unrecorded SQL span still costs its URL parsing and name building otherwise),
and `ServiceClient` sends the decision on itself (`carried_decision`): `traceparent` with the
sampled flag off, so the next service does not record either.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, suppress_instrumentation
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

Scope = MutableMapping[str, Any]
ASGIApp = Callable[..., Awaitable[None]]

_W3C = TraceContextTextMapPropagator()
_TRACEPARENT = b"traceparent"


class RequestSampler(Sampler):
    """Parent-based: a span with a parent follows the parent's decision. A root SERVER span is
    a request `SampledRequests` already chose, so it is recorded; any other root (a worker's
    step, a record without `traceparent`, a statement outside a request) by the ratio."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self._parent_based = ParentBased(root=TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        chosen = kind is SpanKind.SERVER and not _has_parent(parent_context)
        sampler = ALWAYS_ON if chosen else self._parent_based
        return sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestSampler{{{self.ratio}}}"


class SampledRequests:
    """ASGI: each HTTP request either through `traced` (the instrumentation) or, unsampled,
    straight to `app` under an unsampled span context."""

    def __init__(self, app: ASGIApp, traced: ASGIApp, ratio: float) -> None:
        self._app, self._traced, self._ratio = app, traced, ratio

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._traced(scope, receive, send)
            return
        parent = _caller(scope)
        if records(parent, self._ratio):
            await self._traced(scope, receive, send)
            return
        with unsampled(parent):
            await self._app(scope, receive, send)


def records(parent: SpanContext, ratio: float) -> bool:
    """Whether a request is recorded: its caller's decision, or the ratio for a new trace."""
    if parent.is_valid:
        return parent.trace_flags.sampled
    return random.random() < ratio


@contextmanager
def unsampled(parent: SpanContext) -> Iterator[None]:
    """The caller's unsampled context current (a new unsampled one without a caller), the
    instrumentation suppressed."""
    span = NonRecordingSpan(parent if parent.is_valid else _new_unsampled())
    token = context.attach(trace.set_span_in_context(span))
    try:
        with suppress_instrumentation():
            yield
    finally:
        context.detach(token)


def carried_decision() -> dict[str, str]:
    """`traceparent` of an unsampled request (the suppressed HTTP instrumentation sends none),
    else empty: the instrumentation sends its own."""
    if is_instrumentation_enabled():
        return {}
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


def _caller(scope: Scope) -> SpanContext:
    for name, value in scope["headers"]:
        if name == _TRACEPARENT:
            carried = _W3C.extract({"traceparent": value.decode("latin-1")})
            return trace.get_current_span(carried).get_span_context()
    return trace.INVALID_SPAN_CONTEXT


def _new_unsampled() -> SpanContext:
    # Ids like the SDK gives an unsampled root: the logs' trace_id still groups the request.
    return SpanContext(
        trace_id=random.getrandbits(128) or 1,
        span_id=random.getrandbits(64) or 1,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.DEFAULT),
    )


def _has_parent(parent_context: Context | None) -> bool:
    return trace.get_current_span(parent_context).get_span_context().is_valid
