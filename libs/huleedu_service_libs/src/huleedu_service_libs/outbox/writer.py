"""OutboxManager: stores an event in the caller's transaction (seed 001's publish_to_outbox).

There is no session-less path: the business rows and the outbox row commit or roll back
together, and the relay is woken only after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, bindparam, cast, insert
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.events.codec import encode_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.correlation.envelopes import with_original_correlation
from huleedu_service_libs.outbox.model import TABLE_NAME, OutboxBase
from huleedu_service_libs.outbox.wakeup import RelayWakeup

# The envelope's JSON text goes in as text, so the relay publishes exactly these bytes.
_INSERT = insert(OutboxBase.metadata.tables[TABLE_NAME]).values(
    event_data=cast(bindparam("envelope_json", type_=Text), JSON)
)


class OutboxManager:
    def __init__(self, wakeup: RelayWakeup | None) -> None:
        self.wakeup = wakeup

    async def publish_to_outbox(
        self,
        session: AsyncSession,
        *,
        aggregate_type: str,
        aggregate_id: str,
        event_data: EventEnvelope[Any],
        topic: str | None = None,
        event_key: str | None = None,
    ) -> None:
        """Adds the envelope to the session's transaction; `topic` defaults to its event_type
        and `event_key` (the Kafka key, the unit of ordering) to the aggregate id."""
        await session.execute(
            _INSERT,
            {
                "aggregate_type": aggregate_type,
                "aggregate_id": aggregate_id,
                "event_type": event_data.event_type,
                "topic": topic or event_data.event_type,
                "event_key": event_key or aggregate_id,
                "envelope_json": encode_envelope(with_original_correlation(event_data)).decode(),
            },
        )
        if self.wakeup is not None:
            self.wakeup.notify_after_commit(session)
