"""The PostgreSQL unit of work: one session and transaction per `async with`; collected events
go into event_outbox inside that transaction; notifications leave only after the commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common_core.events.base import EventPayload
from huleedu_service_libs.idempotency import claim_event
from huleedu_service_libs.outbox.writer import OutboxManager
from services.class_management_service.implementations.event_collector import EventCollector
from services.class_management_service.implementations.repositories import (
    SqlClassRepository,
    SqlCourseRepository,
    SqlStudentRepository,
)
from services.class_management_service.implementations.roster_repositories import (
    SqlAssociationRepository,
    SqlMembershipRepository,
)
from services.class_management_service.implementations.tables import Executor
from services.class_management_service.protocols import Notification, Notifier


class SqlAlchemyUnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        notifier: Notifier,
    ) -> None:
        self._engine = engine
        self._session_factory = session_factory
        self._outbox = outbox
        self._notifier = notifier
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self._bind(self._session)
        self._events = EventCollector()
        self._notifications: list[Notification] = []
        return self

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[Self]:
        # Autocommit on a plain connection: no BEGIN/ROLLBACK round trips, no ORM session.
        async with self._engine.connect() as connection:
            self._bind(await connection.execution_options(isolation_level="AUTOCOMMIT"))
            yield self

    def _bind(self, executor: Executor) -> None:
        self.courses = SqlCourseRepository(executor)
        self.classes = SqlClassRepository(executor)
        self.students = SqlStudentRepository(executor)
        self.memberships = SqlMembershipRepository(executor)
        self.associations = SqlAssociationRepository(executor)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._active(), None
        try:
            await session.rollback()  # a no-op after commit
        finally:
            await session.close()

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        return await claim_event(self._active(), handler, event_id)

    def emit(
        self, payload: EventPayload, *, aggregate_id: UUID, event_id: UUID | None = None
    ) -> None:
        self._events.add(payload, aggregate_id, event_id)

    def notify(self, notification: Notification) -> None:
        self._notifications.append(notification)

    async def commit(self) -> None:
        session = self._active()
        await self._outbox.publish_many_to_outbox(session, self._events.drain())
        await session.commit()
        notifications, self._notifications = self._notifications, []
        await self._notifier.send(notifications)

    def _active(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._session
