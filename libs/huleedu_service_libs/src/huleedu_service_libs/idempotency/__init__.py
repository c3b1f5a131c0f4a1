"""Idempotent consumers: a Redis guard for ordinary handlers, a database inbox for money."""

from huleedu_service_libs.idempotency.decorator import (
    EventInFlightError,
    IdempotencyUnavailableError,
    idempotency_key,
    idempotent_consumer,
)
from huleedu_service_libs.idempotency.inbox import (
    InboxBase,
    claim_event,
    create_inbox_table,
    drop_inbox_table,
)

__all__ = [
    "EventInFlightError",
    "IdempotencyUnavailableError",
    "InboxBase",
    "claim_event",
    "create_inbox_table",
    "drop_inbox_table",
    "idempotency_key",
    "idempotent_consumer",
]
