"""Building envelopes for registered payloads, and decoding raw Kafka bytes into typed envelopes."""

from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from pydantic import ValidationError

from common_core.events.base import EventPayload
from common_core.events.envelope import EventEnvelope
from common_core.events.errors import InvalidEventError
from common_core.events.registry import spec_for_payload, spec_for_topic

T = TypeVar("T", bound=EventPayload)


def envelope_type_for(topic: str) -> type[EventEnvelope[EventPayload]]:
    """The parametrised envelope class for a topic; raises UnknownTopicError."""
    payload_model = spec_for_topic(topic).payload_model
    return cast(type[EventEnvelope[EventPayload]], EventEnvelope[payload_model])  # type: ignore[valid-type]


def new_envelope(
    data: T,
    *,
    source_service: str,
    correlation_id: UUID,
    event_id: UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> EventEnvelope[T]:
    """Wrap a registered payload; the topic and schema version come from the registry."""
    topic = spec_for_payload(type(data)).topic
    envelope_type = cast(type[EventEnvelope[T]], envelope_type_for(topic))
    return envelope_type(
        event_id=event_id or uuid4(),
        event_type=topic,
        source_service=source_service,
        correlation_id=correlation_id,
        data=data,
        metadata=metadata or {},
    )


def encode_envelope(envelope: EventEnvelope[Any]) -> bytes:
    return envelope.model_dump_json().encode()


def decode_envelope(topic: str, raw: bytes | str) -> EventEnvelope[EventPayload]:
    """Raises UnknownTopicError or InvalidEventError, both EventDecodeError."""
    envelope_type = envelope_type_for(topic)
    try:
        envelope = envelope_type.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidEventError(topic, _summarise(error)) from error
    if envelope.event_type != topic:
        raise InvalidEventError(topic, f"the envelope's event_type is {envelope.event_type!r}")
    return envelope


def decode_envelope_as(topic: str, raw: bytes | str, payload_type: type[T]) -> EventEnvelope[T]:
    """Decode, and check that the topic carries the payload the caller's handler expects."""
    envelope = decode_envelope(topic, raw)
    if type(envelope.data) is not payload_type:
        carried = type(envelope.data).__name__
        raise TypeError(f"topic {topic!r} carries {carried}, not {payload_type.__name__}")
    return cast(EventEnvelope[T], envelope)


def _summarise(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['msg']}"
        for item in error.errors(include_url=False)
    ]
    return "; ".join(problems)
