"""Events a unit of work collects before its commit, wrapped in envelopes at emit time."""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID, uuid4

from common_core.events import class_management as events
from common_core.events.base import EventPayload
from common_core.events.codec import envelope_type_for
from common_core.events.envelope import EventEnvelope
from common_core.events.registry import spec_for_payload
from huleedu_service_libs.correlation import require_correlation
from huleedu_service_libs.outbox import OutboxEvent
from services.class_management_service.config import SERVICE_NAME

AGGREGATE_TYPES: dict[type[EventPayload], str] = {
    events.ClassCreatedV1: "class",
    events.ClassUpdatedV1: "class",
    events.ClassDeletedV1: "class",
    events.StudentCreatedV1: "student",
    events.StudentUpdatedV1: "student",
    events.StudentDeletedV1: "student",
    events.StudentAssociationsConfirmedV1: "batch",
}


@functools.cache
def _envelope_type(payload_type: type[EventPayload]) -> tuple[str, type[EventEnvelope[Any]]]:
    # What new_envelope looks up on every call; a roster import builds thousands of envelopes.
    topic = spec_for_payload(payload_type).topic
    return topic, envelope_type_for(topic)


class EventCollector:
    def __init__(self) -> None:
        self.pending: list[OutboxEvent] = []

    def add(self, payload: EventPayload, aggregate_id: UUID, event_id: UUID | None) -> None:
        topic, envelope_type = _envelope_type(type(payload))
        # The correlation id is the caller's (HTTP request, consumed event or monitor sweep).
        envelope = envelope_type(
            event_id=event_id or uuid4(),
            event_type=topic,
            source_service=SERVICE_NAME,
            correlation_id=require_correlation().uuid,
            data=payload,
        )
        pending = OutboxEvent(AGGREGATE_TYPES[type(payload)], str(aggregate_id), envelope)
        self.pending.append(pending)

    def drain(self) -> list[OutboxEvent]:
        drained, self.pending = self.pending, []
        return drained
