"""What the producer sends: a topic, a key, the encoded envelope, and the standard headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common_core.events.codec import encode_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.correlation.envelopes import with_original_correlation
from huleedu_service_libs.observability.propagation import with_trace_context

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    value: bytes
    key: bytes | None = None
    headers: Headers = field(default_factory=list)


def envelope_headers(envelope: EventEnvelope[Any]) -> Headers:
    headers = [
        ("event_id", str(envelope.event_id).encode()),
        ("event_type", envelope.event_type.encode()),
        ("correlation_id", str(envelope.correlation_id).encode()),
        ("source_service", envelope.source_service.encode()),
    ]
    traceparent = envelope.metadata.get("traceparent")
    if isinstance(traceparent, str):
        headers.append(("traceparent", traceparent.encode()))
    return headers


def message_for(envelope: EventEnvelope[Any], key: str | None) -> OutgoingMessage:
    envelope = with_trace_context(with_original_correlation(envelope))
    return OutgoingMessage(
        topic=envelope.event_type,
        value=encode_envelope(envelope),
        key=key.encode() if key is not None else None,
        headers=envelope_headers(envelope),
    )


def header_value(headers: Any, name: str) -> str | None:
    for header_name, value in headers or ():
        if header_name == name:
            return bytes(value).decode(errors="replace")
    return None
