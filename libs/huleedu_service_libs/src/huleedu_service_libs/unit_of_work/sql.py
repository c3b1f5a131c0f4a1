"""The PostgreSQL unit of work: one session and transaction per `async with`; the events it
collected go into event_outbox inside that transaction, so state and events commit together;
the relay is woken, and the after-commit callbacks run, only after the commit.

A service subclasses it to attach its repositories:

    class ClassesUnitOfWork(SqlUnitOfWork):
        def attach(self, session: AsyncSession) -> None:
            self.classes = SqlClassRepository(session)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Self, TypeVar
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.idempotency.inbox import claim_event
from huleedu_service_libs.outbox.writer import OutboxManager
from huleedu_service_libs.unit_of_work.base import (
    CollectingUnitOfWork,
    UniqueViolation,
    UnitOfWorkFactory,
    run_after_commit,
)

UNIQUE_VIOLATION = "23505"
W = TypeVar("W", bound="SqlUnitOfWork")


class SqlUnitOfWork(CollectingUnitOfWork):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        envelopes: EnvelopeFactory,
    ) -> None:
        super().__init__(envelopes)
        self._sessions = sessions
        self._outbox = outbox
        self._session: AsyncSession | None = None

    def attach(self, session: AsyncSession) -> None:
        """Binds the service's repositories to the transaction's session."""

    def _require_active(self) -> None:
        _ = self.session

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._collector.clear()
        self.attach(self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object, /
    ) -> None:
        # close() rolls back what was not committed and detaches the rows without expiring them,
        # so a use case may still read what it loaded (the sessions do not expire on commit).
        session, self._session = self.session, None
        self._collector.clear()
        await session.close()
        violation = _unique_violation(exc) if isinstance(exc, IntegrityError) else None
        if violation is not None and not isinstance(exc, UniqueViolation):
            raise violation from exc

    async def claim_event(self, handler: str, event_id: UUID) -> bool:
        """True the first time this handler sees the event; the inbox row commits with the
        effects, so a redelivery is a no-op even when Redis has forgotten the event."""
        return await claim_event(self.session, handler, event_id)

    async def commit(self) -> None:
        session = self.session
        events, callbacks = self._collector.drain()
        try:
            await self._outbox.publish_many_to_outbox(session, events)
            await session.commit()
        except IntegrityError as error:
            violation = _unique_violation(error)
            if violation is None:
                raise
            raise violation from error
        await run_after_commit(callbacks)

    async def rollback(self) -> None:
        self._collector.clear()
        await self.session.rollback()


def _unique_violation(error: IntegrityError) -> UniqueViolation | None:
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code != UNIQUE_VIOLATION:
        return None
    cause = getattr(original, "__cause__", None)
    constraint = getattr(cause, "constraint_name", None) or "unknown"
    return UniqueViolation(str(constraint))


@dataclass(frozen=True)
class SqlTransactions:
    """What every SqlUnitOfWork is built from, provided once by the library's DatabaseProvider."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: OutboxManager
    envelopes: EnvelopeFactory

    def factory_of(self, unit_of_work: type[W], *extra: Any) -> UnitOfWorkFactory[W]:
        """A factory of the service's unit of work; `extra` follows the library's arguments."""
        return partial(unit_of_work, self.sessions, self.outbox, self.envelopes, *extra)
