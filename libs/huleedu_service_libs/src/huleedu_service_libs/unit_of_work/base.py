"""What the PostgreSQL unit of work and its in-memory twin share: collecting events, the
after-commit callbacks, and the errors both raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from common_core.events.base import EventPayload
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.outbox.writer import OutboxEvent

logger = create_service_logger("huleedu.unit_of_work")
U = TypeVar("U")
UnitOfWorkFactory = Callable[[], U]
AfterCommit = Callable[[], Awaitable[None]]
P = TypeVar("P", bound=EventPayload)


class UniqueViolation(IntegrityError):
    """A unique key was taken (PostgreSQL's 23505, or the in-memory twin's unique index)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(f"unique key {constraint} is taken", None, Exception(constraint))
        self.constraint = constraint


class EventCollector:
    """The events and after-commit callbacks of one transaction."""

    def __init__(self) -> None:
        self.events: list[OutboxEvent] = []
        self.callbacks: list[AfterCommit] = []

    def drain(self) -> tuple[list[OutboxEvent], list[AfterCommit]]:
        drained = self.events, self.callbacks
        self.events, self.callbacks = [], []
        return drained

    def clear(self) -> None:
        self.events.clear()
        self.callbacks.clear()


class CollectingUnitOfWork:
    """What both units of work do alike: collect the transaction's events and callbacks."""

    def __init__(self, envelopes: EnvelopeFactory) -> None:
        self._envelopes = envelopes
        self._collector = EventCollector()

    def _require_active(self) -> None:
        """Raises when used outside `async with`."""

    def emit(
        self,
        payload: P,
        *,
        aggregate_type: str,
        aggregate_id: str | UUID,
        event_id: UUID | None = None,
        event_key: str | None = None,
        correlation_id: UUID | None = None,
    ) -> EventEnvelope[P]:
        """The event goes to the outbox at commit; the correlation id defaults to the active
        request's or event's; `event_key` (the Kafka key) to the aggregate id."""
        self._require_active()
        envelope = self._envelopes.envelope(
            payload, correlation_id=correlation_id, event_id=event_id
        )
        event = OutboxEvent(aggregate_type, str(aggregate_id), envelope, event_key=event_key)
        self._collector.events.append(event)
        return envelope

    def after_commit(self, callback: AfterCommit) -> None:
        self._collector.callbacks.append(callback)


async def run_after_commit(callbacks: list[AfterCommit]) -> None:
    # The transaction is committed: a failing callback (a best-effort notification) is logged,
    # never reported as a failure of what was committed.
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            logger.exception("after-commit callback failed")
