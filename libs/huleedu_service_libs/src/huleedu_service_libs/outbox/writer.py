"""OutboxManager: stores an event in the caller's transaction (seed 001's publish_to_outbox).

There is no path outside a transaction: the business rows and the outbox row commit or roll
back together, and the relay is woken only after the commit. Services write through their
session (`OutboxManager`, or seed 001's session-less call on `manager.bound_to(session)`);
code that runs its transaction on an asyncpg connection itself uses
`insert_outbox_rows` and then `RelayWakeup.committed()`. A hot path may also write its rows in
the very statement that changes its state (a data-modifying CTE, atomic on its own) from
`outbox_row_values`, and then call `RelayWakeup.committed()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import Text, bindparam, cast, insert
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.events.codec import encode_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.correlation.context import CorrelationContext
from huleedu_service_libs.correlation.envelopes import with_original_correlation
from huleedu_service_libs.database import AsyncpgStatement, driver_of
from huleedu_service_libs.observability.propagation import with_trace_context
from huleedu_service_libs.outbox.model import TABLE_NAME, OutboxBase
from huleedu_service_libs.outbox.wakeup import RelayWakeup

_COLUMNS = ("aggregate_type", "aggregate_id", "event_type", "topic", "event_key")
# Every service's writes pass here, so it is compiled once and sent by asyncpg in the session's
# transaction (rule 042). The envelope's JSON goes in as text: the relay publishes these bytes.
_INSERT = AsyncpgStatement.of(
    insert(OutboxBase.metadata.tables[TABLE_NAME])
    .values(
        {column: bindparam(column) for column in _COLUMNS}
        | {"event_data": cast(bindparam("envelope_json", type_=Text), JSON)}
    )
    .inline()  # no RETURNING of the generated id
)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One event for `publish_many_to_outbox`; `topic` and `event_key` default as in
    `publish_to_outbox`."""

    aggregate_type: str
    aggregate_id: str
    envelope: EventEnvelope[Any]
    topic: str | None = None
    event_key: str | None = None


class OutboxManager:
    def __init__(self, wakeup: RelayWakeup | None) -> None:
        self.wakeup = wakeup
        self._bound_session: AsyncSession | None = None

    def bound_to(self, session: AsyncSession) -> OutboxManager:
        """A manager whose `publish_to_outbox` writes in `session` without being passed it
        (seed 001's call shape); it shares this manager's wake-up."""
        bound = OutboxManager(self.wakeup)
        bound._bound_session = session
        return bound

    async def publish_to_outbox(
        self,
        session: AsyncSession | None = None,
        *,
        aggregate_type: str,
        aggregate_id: str,
        event_data: EventEnvelope[Any],
        topic: str | None = None,
        event_key: str | None = None,
        event_type: str | None = None,
        correlation_id: UUID | str | None = None,
    ) -> None:
        """Adds the envelope to the session's transaction; `topic` defaults to its event_type
        and `event_key` (the Kafka key, the unit of ordering) to the aggregate id. `event_type`
        and `correlation_id` (seed 001) are checked against the envelope, never stored apart."""
        target = self._session_for(session)
        if event_type is not None or correlation_id is not None:
            refuse_mismatch(event_data, event_type, correlation_id)
        event = OutboxEvent(aggregate_type, aggregate_id, event_data, topic, event_key)
        await self.publish_many_to_outbox(target, [event])

    def _session_for(self, session: AsyncSession | None) -> AsyncSession:
        bound = self._bound_session
        if bound is None:
            if session is None:
                raise NotInTransactionError(
                    "publish_to_outbox writes only in the caller's transaction: pass the session,"
                    " publish_to_outbox(session, ...), or call it on manager.bound_to(session)"
                )
            return session
        if session is not None and session is not bound:
            raise NotInTransactionError(
                "this manager is bound to another session: call publish_to_outbox without one"
            )
        return bound

    async def publish_many_to_outbox(
        self, session: AsyncSession, events: Sequence[OutboxEvent]
    ) -> None:
        """All of `events` in the session's transaction with one round trip (asyncpg's
        pipelined executemany), in list order: their sequence numbers, and so their order per
        key, follow the list."""
        if not events:
            return
        await insert_outbox_rows(await driver_of(session), events)
        if self.wakeup is not None:
            self.wakeup.notify_after_commit(session)


class NotInTransactionError(RuntimeError):
    """An outbox row written outside a transaction could be published without its state."""


class EnvelopeMismatchError(ValueError):
    """A value given beside the envelope disagrees with the envelope, which alone is stored."""


def refuse_mismatch(
    envelope: EventEnvelope[Any], event_type: str | None, correlation_id: UUID | str | None
) -> None:
    """`correlation_id` may be the caller's original string that maps to the envelope's UUID."""
    if event_type is not None:
        refuse_other_event_type(event_type, envelope.event_type)
    if correlation_id is None:
        return
    if CorrelationContext.from_header(str(correlation_id)).uuid != envelope.correlation_id:
        raise EnvelopeMismatchError(
            f"correlation_id {str(correlation_id)!r} is not the envelope's"
            f" {str(envelope.correlation_id)!r}: build the envelope with the request's"
            " correlation id, or leave correlation_id out"
        )


async def insert_outbox_rows(connection: asyncpg.Connection, events: Sequence[OutboxEvent]) -> None:
    """`events` in the connection's open transaction, in list order, in one round trip; the
    caller commits, then wakes the relay."""
    if not connection.is_in_transaction():
        raise NotInTransactionError("outbox rows are written only inside the caller's transaction")
    rows = [_INSERT.arguments(outbox_row_values(event)) for event in events]
    if len(rows) == 1:
        await connection.execute(_INSERT.sql, *rows[0])
    elif rows:
        await connection.executemany(_INSERT.sql, rows)


def outbox_row_values(event: OutboxEvent) -> dict[str, Any]:
    """The outbox columns for `event`, `envelope_json` being what the relay will publish: the
    envelope's metadata carries the writer's trace context when a recorded span is current."""
    envelope = with_trace_context(event.envelope)
    return {
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "event_type": envelope.event_type,
        "topic": event.topic or envelope.event_type,
        "event_key": event.event_key or event.aggregate_id,
        "envelope_json": encode_envelope(with_original_correlation(envelope)).decode(),
    }


def refuse_other_event_type(given: str, envelopes: str) -> None:
    if given != envelopes:
        raise EnvelopeMismatchError(
            f"event_type {given!r} is not the envelope's {envelopes!r}:"
            " pass envelope.event_type (the registry's topic) or leave event_type out"
        )
