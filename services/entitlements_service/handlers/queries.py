"""What a teacher may see: their own (and their organisation's) balances, holds and ledger."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.entitlements_service.domain.accounts import Actor, Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.handlers.accounts import open_account
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.protocols import LedgerQuery, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class AccountsView:
    balances: list[Balance]
    active_holds: list[Hold]


@dataclass
class TeacherQueries:
    uows: UnitOfWorkFactory
    policies: PolicyStore

    async def balances(self, actor: Actor, correlation_id: UUID) -> AccountsView:
        """Opens accounts seen for the first time, so the signup bonus shows (and is granted)."""
        subjects = list(reversed(actor.payers()))  # user first for display
        async with self.uows() as uow:
            for subject in subjects:
                await open_account(uow, subject, self.policies.current, correlation_id)
            balances = [await uow.accounts.get(subject) for subject in subjects]
            holds = await uow.authorizations.active_for(subjects)
            await uow.commit()
        return AccountsView([balance for balance in balances if balance], holds)

    async def ledger(
        self, subject: Subject, before_seq: int | None, limit: int
    ) -> list[LedgerEntry]:
        query = LedgerQuery(subject=subject, before_seq=before_seq, limit=limit)
        async with self.uows() as uow:
            return await uow.ledger.search(query)
