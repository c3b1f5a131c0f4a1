"""The PostgreSQL unit of work: the library's SqlUnitOfWork with this service's repositories,
and a read-only path that skips the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox.writer import OutboxManager
from huleedu_service_libs.unit_of_work import SqlUnitOfWork
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


class ClassManagementUnitOfWork(SqlUnitOfWork):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        envelopes: EnvelopeFactory,
        engine: AsyncEngine,
    ) -> None:
        super().__init__(sessions, outbox, envelopes)
        self._engine = engine

    def attach(self, session: Executor) -> None:
        self.courses = SqlCourseRepository(session)
        self.classes = SqlClassRepository(session)
        self.students = SqlStudentRepository(session)
        self.memberships = SqlMembershipRepository(session)
        self.associations = SqlAssociationRepository(session)

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[Self]:
        # Autocommit on a plain connection: no BEGIN/ROLLBACK round trips, no ORM session.
        async with self._engine.connect() as connection:
            self.attach(await connection.execution_options(isolation_level="AUTOCOMMIT"))
            yield self
