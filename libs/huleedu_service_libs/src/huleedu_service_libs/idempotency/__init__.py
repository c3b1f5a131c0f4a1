"""Idempotent consumers: a Redis guard for ordinary handlers, a database inbox for money."""

from huleedu_service_libs.idempotency.decorator import (
    EventInFlightError,
    IdempotencyUnavailableError,
    event_id_of,
    idempotency_key,
    idempotent_consumer,
)
from huleedu_service_libs.idempotency.inbox import (
    InboxBase,
    ProcessedEvent,
    claim_event,
    create_inbox_table,
    drop_inbox_table,
)

__all__ = [
    "EventInFlightError",
    "IdempotencyUnavailableError",
    "InboxBase",
    "ProcessedEvent",
    "claim_event",
    "create_inbox_table",
    "drop_inbox_table",
    "event_id_of",
    "idempotency_key",
    "idempotent_consumer",
]
