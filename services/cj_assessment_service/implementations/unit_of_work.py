"""The PostgreSQL unit of work: one session and transaction per `async with`; the events it
collected go into event_outbox inside that transaction, so state and events commit together."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common_core.events import cj
from common_core.events.base import EventPayload
from common_core.events.codec import new_envelope
from huleedu_service_libs.idempotency import claim_event
from huleedu_service_libs.outbox import OutboxEvent, OutboxManager
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.implementations.repositories import (
    SqlAnchorRepository,
    SqlAssessmentRepository,
    SqlComparisonRepository,
    SqlEssayRepository,
    SqlResultRepository,
)

AGGREGATE_TYPE = "cj_assessment"
# Failures refused before an assessment existed are keyed by the requested batch.
REQUEST_AGGREGATE_TYPE = "cj_batch_request"


def envelope_for(
    payload: EventPayload, *, aggregate_id: UUID, event_id: UUID, correlation_id: UUID
) -> OutboxEvent:
    envelope = new_envelope(
        payload, source_service=SERVICE_NAME, correlation_id=correlation_id, event_id=event_id
    )
    refused = isinstance(payload, cj.CJAssessmentFailedV1) and payload.assessment_id is None
    kind = REQUEST_AGGREGATE_TYPE if refused else AGGREGATE_TYPE
    return OutboxEvent(kind, str(aggregate_id), envelope)


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: OutboxManager) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._session = self._sessions()
        self.essays = SqlEssayRepository(session)
        self.anchors = SqlAnchorRepository(session)
        self.assessments = SqlAssessmentRepository(session)
        self.comparisons = SqlComparisonRepository(session)
        self.results = SqlResultRepository(session)
        self._events: list[OutboxEvent] = []
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # close() rolls back whatever was not committed and detaches the rows without expiring
        # them, so the use cases may still read what they loaded (expire_on_commit is off).
        session, self._session = self._active(), None
        await session.close()

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        return await claim_event(self._active(), handler, event_id)

    def emit(
        self, payload: EventPayload, *, aggregate_id: UUID, event_id: UUID, correlation_id: UUID
    ) -> None:
        self._events.append(
            envelope_for(
                payload, aggregate_id=aggregate_id, event_id=event_id, correlation_id=correlation_id
            )
        )

    async def commit(self) -> None:
        session = self._active()
        events, self._events = self._events, []
        await self._outbox.publish_many_to_outbox(session, events)
        await session.commit()

    def _active(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._session


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: OutboxManager) -> None:
        self._sessions = sessions
        self._outbox = outbox

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._outbox)
