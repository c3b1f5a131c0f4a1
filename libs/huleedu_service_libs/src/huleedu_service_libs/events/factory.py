"""One envelope factory for every service: topic and envelope type from the common_core
registry, the correlation id of the active request or event unless given, never invented."""

from __future__ import annotations

import functools
from typing import Any, TypeVar
from uuid import UUID, uuid4

from common_core.events.base import EventPayload
from common_core.events.codec import envelope_type_for
from common_core.events.envelope import EventEnvelope
from common_core.events.registry import spec_for_payload
from huleedu_service_libs.correlation.scope import require_correlation

P = TypeVar("P", bound=EventPayload)


@functools.cache
def _envelope_type(payload_type: type[EventPayload]) -> tuple[str, type[EventEnvelope[Any]]]:
    # Looked up once per payload type: a roster import builds thousands of envelopes.
    topic = spec_for_payload(payload_type).topic
    return topic, envelope_type_for(topic)


class EnvelopeFactory:
    def __init__(self, source_service: str) -> None:
        self.source_service = source_service

    def envelope(
        self,
        payload: P,
        *,
        correlation_id: UUID | None = None,
        event_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> EventEnvelope[P]:
        """Raises MissingCorrelationError when no id is given and no context is active."""
        topic, envelope_type = _envelope_type(type(payload))
        envelope: EventEnvelope[P] = envelope_type(
            event_id=event_id or uuid4(),
            event_type=topic,
            source_service=self.source_service,
            correlation_id=correlation_id or require_correlation().uuid,
            data=payload,
            metadata=metadata or {},
        )
        return envelope
