"""The PostgreSQL unit of work: the library's SqlUnitOfWork with this service's repositories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from huleedu_service_libs.unit_of_work import SqlUnitOfWork
from services.entitlements_service.implementations.sql_charges import SessionCharges
from services.entitlements_service.implementations.sql_repositories import (
    SqlAccountRepository,
    SqlAuditRepository,
    SqlAuthorizationRepository,
    SqlLedgerRepository,
)
from services.entitlements_service.protocols import (
    AccountRepository,
    AuditRepository,
    AuthorizationRepository,
    ChargeRepository,
    LedgerRepository,
)


class EntitlementsUnitOfWork(SqlUnitOfWork):
    accounts: AccountRepository
    ledger: LedgerRepository
    charges: ChargeRepository
    authorizations: AuthorizationRepository
    audit: AuditRepository

    def attach(self, session: AsyncSession) -> None:
        self.accounts = SqlAccountRepository(session)
        self.ledger = SqlLedgerRepository(session)
        # The one-statement charge writes its own outbox rows, so it needs the envelope
        # factory and the wake-up that `emit` and `commit` use for everything else.
        self.charges = SessionCharges(session, self._outbox, self._envelopes)
        self.authorizations = SqlAuthorizationRepository(session)
        self.audit = SqlAuditRepository(session)
