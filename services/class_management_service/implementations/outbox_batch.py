"""Writing many outbox rows in one round trip, in the caller's transaction.

The library's OutboxManager writes one row per call (one database round trip per event), which
caps a 5,000-student roster import far below its target. Until the library has a batch writer,
this inserts the same columns into the shared table the same way (the envelope's JSON text cast
to JSON, so the relay publishes exactly these bytes), with one executemany, and arranges the
relay wake-up through the library's own RelayWakeup. A single event still goes through
OutboxManager.publish_to_outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.events.codec import encode_envelope
from huleedu_service_libs.correlation import with_original_correlation
from huleedu_service_libs.outbox import OutboxManager
from huleedu_service_libs.outbox.model import TABLE_NAME, OutboxBase
from services.class_management_service.implementations.event_collector import PendingEvent

_INSERT = insert(OutboxBase.metadata.tables[TABLE_NAME]).values(
    event_data=cast(bindparam("envelope_json", type_=Text), JSON)
)


async def write_to_outbox(
    session: AsyncSession, outbox: OutboxManager, events: Sequence[PendingEvent]
) -> None:
    if len(events) == 1:
        [event] = events
        await outbox.publish_to_outbox(
            session,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            event_data=event.envelope,
        )
    elif events:
        await session.execute(_INSERT, [_row(event) for event in events])
        if outbox.wakeup is not None:
            outbox.wakeup.notify_after_commit(session)


def _row(event: PendingEvent) -> dict[str, Any]:
    return {
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "event_type": event.envelope.event_type,
        "topic": event.envelope.event_type,
        "event_key": event.aggregate_id,
        "envelope_json": encode_envelope(with_original_correlation(event.envelope)).decode(),
    }
