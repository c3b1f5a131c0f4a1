"""The PostgreSQL unit of work: one session, one transaction, events written to the outbox in it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.outbox.writer import OutboxEvent, OutboxManager
from services.entitlements_service.implementations.sql_charges import SessionCharges
from services.entitlements_service.implementations.sql_repositories import (
    SqlAccountRepository,
    SqlAuditRepository,
    SqlAuthorizationRepository,
    SqlInboxRepository,
    SqlLedgerRepository,
)
from services.entitlements_service.protocols import (
    AccountRepository,
    AuditRepository,
    AuthorizationRepository,
    ChargeRepository,
    InboxRepository,
    LedgerRepository,
)


class SqlUnitOfWork:
    accounts: AccountRepository
    ledger: LedgerRepository
    charges: ChargeRepository
    authorizations: AuthorizationRepository
    inbox: InboxRepository
    audit: AuditRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: OutboxManager) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._pending: list[OutboxEvent] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.accounts = SqlAccountRepository(self.session)
        self.ledger = SqlLedgerRepository(self.session)
        self.charges = SessionCharges(self.session, self._outbox)
        self.authorizations = SqlAuthorizationRepository(self.session)
        self.inbox = SqlInboxRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()  # a no-op after commit
        finally:
            await self.session.close()

    def emit(self, envelope: EventEnvelope[Any], aggregate_type: str, aggregate_id: str) -> None:
        self._pending.append(OutboxEvent(aggregate_type, aggregate_id, envelope))

    async def commit(self) -> None:
        pending, self._pending = self._pending, []
        await self._outbox.publish_many_to_outbox(self.session, pending)
        await self.session.commit()

    async def rollback(self) -> None:
        self._pending.clear()
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: OutboxManager) -> None:
        self._sessions = sessions
        self._outbox = outbox

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._outbox)
