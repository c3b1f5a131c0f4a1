"""Admin operations: every one is written to the audit log, and money moves also to the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from common_core.domain_enums import CreditMovementReason
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
)
from services.entitlements_service.domain.ledger import LedgerEntry, Movement, scoped_key
from services.entitlements_service.domain.policy import CreditPolicy
from services.entitlements_service.handlers.accounts import move, open_account
from services.entitlements_service.handlers.events import emit_balance_changed
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.protocols import LedgerQuery, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Adjustment:
    subject: Subject
    actor: str
    note: str
    delta: int | None = None
    target_balance: int | None = None
    idempotency_key: str | None = None

    def movement(self) -> Movement:
        return Movement(
            CreditMovementReason.ADMIN_ADJUSTMENT,
            user_id=self.subject.id if self.subject.type.value == "user" else None,
            org_id=self.subject.id if self.subject.type.value == "org" else None,
            quantity=self.delta if self.delta is not None else self.target_balance,
            actor=self.actor,
            note=self.note,
        )


@dataclass
class Admin:
    uows: UnitOfWorkFactory
    policies: PolicyStore

    async def adjust(self, adjustment: Adjustment, correlation_id: UUID) -> LedgerEntry:
        key = None
        if adjustment.idempotency_key is not None:
            key = scoped_key("admin", adjustment.idempotency_key)
        async with self.uows() as uow:
            if key is not None and (earlier := await uow.ledger.by_idempotency_key(key)):
                if not earlier.matches(adjustment.movement()):
                    raise IdempotencyConflictError(adjustment.idempotency_key or "")
                return earlier
            entry = await self._apply(uow, adjustment, key, correlation_id)
            await self._audit(uow, adjustment, entry, correlation_id)
            await uow.commit()
        return entry

    async def _apply(
        self, uow: UnitOfWork, adjustment: Adjustment, key: str | None, correlation_id: UUID
    ) -> LedgerEntry:
        policy = self.policies.current
        delta = await self._delta(uow, adjustment, policy, correlation_id)
        after = await move(uow, adjustment.subject, delta, 0, policy, correlation_id)
        if after is None:
            current = await uow.accounts.get(adjustment.subject)
            raise InsufficientCreditsError(-delta, current.available if current else 0)
        entry = LedgerEntry.record(after, delta, 0, adjustment.movement(), correlation_id, key)
        await uow.ledger.add(entry)
        emit_balance_changed(uow, entry, adjustment.idempotency_key)
        return entry

    async def _delta(
        self, uow: UnitOfWork, adjustment: Adjustment, policy: CreditPolicy, correlation_id: UUID
    ) -> int:
        if adjustment.target_balance is None:
            return adjustment.delta or 0
        await open_account(uow, adjustment.subject, policy, correlation_id)
        current = await uow.accounts.get_for_update(adjustment.subject)
        assert current is not None  # just opened, or it existed
        if adjustment.target_balance < current.held:
            raise InvalidRequestError(
                "the balance cannot be set below what active holds reserve", held=current.held
            )
        return adjustment.target_balance - current.balance

    async def _audit(
        self, uow: UnitOfWork, adjustment: Adjustment, entry: LedgerEntry, correlation_id: UUID
    ) -> None:
        action = "set_balance" if adjustment.target_balance is not None else "adjust_balance"
        details = {
            "subject": adjustment.subject.key,
            "delta": entry.delta,
            "balance_after": entry.balance_after,
            "ledger_entry_id": str(entry.entry_id),
            "note": adjustment.note,
        }
        await uow.audit.record(action, adjustment.actor, correlation_id, details)

    async def search(
        self, query: LedgerQuery, actor: str, correlation_id: UUID
    ) -> list[LedgerEntry]:
        async with self.uows() as uow:
            entries = await uow.ledger.search(query)
            details = {
                "subject": query.subject.key if query.subject else None,
                "reason": query.reason,
                "returned": len(entries),
            }
            await uow.audit.record("search_ledger", actor, correlation_id, details)
            await uow.commit()
        return entries

    async def reload_policy(self, actor: str, correlation_id: UUID) -> tuple[str, str]:
        """(previous version, new version); a bad file raises PolicyError and changes nothing."""
        previous, current = self.policies.reload()
        async with self.uows() as uow:
            details = {"previous_version": previous.version, "version": current.version}
            await uow.audit.record("reload_policy", actor, correlation_id, details)
            await uow.commit()
        return previous.version, current.version
