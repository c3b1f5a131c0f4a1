"""Seed 001's and seed 003's `OutboxRepositoryProtocol.add_event`, for an envelope already
serialised to a dict (`envelope.model_dump(mode="json")`).

The dict is decoded through the common_core registry, as a consumer will decode it, so a
malformed envelope is refused before it is stored; the row goes in through the writer's insert,
in the session's transaction. Reading and marking rows is the relay's work, not a repository's.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.events.codec import decode_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.outbox.wakeup import RelayWakeup
from huleedu_service_libs.outbox.writer import (
    OutboxEvent,
    OutboxManager,
    refuse_other_event_type,
)


class OutboxRepositoryProtocol(Protocol):
    async def add_event(
        self,
        aggregate_type: str,
        aggregate_id: str | UUID,
        event_type: str,
        event_data: dict[str, Any],
        *,
        topic: str | None = None,
        event_key: str | UUID | None = None,
    ) -> None: ...


class SqlOutboxRepository:
    """Bound to the caller's session; with a `wakeup`, the relay is woken after its commit."""

    def __init__(self, session: AsyncSession, wakeup: RelayWakeup | None = None) -> None:
        self.session = session
        self._writer = OutboxManager(wakeup)

    async def add_event(
        self,
        aggregate_type: str,
        aggregate_id: str | UUID,
        event_type: str,
        event_data: dict[str, Any],
        *,
        topic: str | None = None,
        event_key: str | UUID | None = None,
    ) -> None:
        """`event_type` is the envelope's (the registry's topic); `topic` defaults to it and
        `event_key` to the aggregate id. Raises EventDecodeError for a malformed envelope."""
        envelope = envelope_from_dict(event_type, event_data)
        key = None if event_key is None else str(event_key)
        event = OutboxEvent(aggregate_type, str(aggregate_id), envelope, topic, key)
        await self._writer.publish_many_to_outbox(self.session, [event])


def envelope_from_dict(event_type: str, event_data: dict[str, Any]) -> EventEnvelope[Any]:
    stated = event_data.get("event_type")
    if isinstance(stated, str):
        refuse_other_event_type(event_type, stated)
    return decode_envelope(event_type, orjson.dumps(event_data))
