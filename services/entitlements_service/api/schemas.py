"""Bodies of this service's own routes (the internal API's bodies are in common_core)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from common_core.domain_enums import AuthorizationStatus, CreditMovementReason, CreditSubjectType
from services.entitlements_service.domain.accounts import Balance
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountBalance(_Body):
    subject_type: CreditSubjectType
    subject_id: str
    balance: int
    held: int
    available: int

    @classmethod
    def of(cls, balance: Balance) -> AccountBalance:
        return cls(
            subject_type=balance.subject.type,
            subject_id=balance.subject.id,
            balance=balance.balance,
            held=balance.held,
            available=balance.available,
        )


class ActiveHold(_Body):
    authorization_id: UUID
    status: AuthorizationStatus
    metric: str
    charged_subject_type: CreditSubjectType
    charged_subject_id: str
    credits_reserved: int
    credits_remaining: int
    expires_at: datetime

    @classmethod
    def of(cls, hold: Hold) -> ActiveHold:
        return cls(
            authorization_id=hold.authorization_id,
            status=hold.status,
            metric=hold.metric,
            charged_subject_type=hold.payer.type,
            charged_subject_id=hold.payer.id,
            credits_reserved=hold.credits_reserved,
            credits_remaining=hold.remaining,
            expires_at=hold.expires_at,
        )


class BalanceResponse(_Body):
    accounts: list[AccountBalance]
    active_holds: list[ActiveHold]
    correlation_id: str


class LedgerItem(_Body):
    ledger_entry_id: UUID
    subject_type: CreditSubjectType
    subject_id: str
    delta: int
    held_delta: int
    balance_after: int
    available_after: int
    reason: CreditMovementReason
    metric: str | None
    quantity: int | None
    authorization_id: UUID | None
    resource_id: str | None
    actor: str | None
    note: str | None
    created_at: datetime | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerItem:
        movement = entry.movement
        return cls(
            ledger_entry_id=entry.entry_id,
            subject_type=entry.subject.type,
            subject_id=entry.subject.id,
            delta=entry.delta,
            held_delta=entry.held_delta,
            balance_after=entry.balance_after,
            available_after=entry.available_after,
            reason=movement.reason,
            metric=movement.metric,
            quantity=movement.quantity,
            authorization_id=movement.authorization_id,
            resource_id=movement.resource_id,
            actor=movement.actor,
            note=movement.note,
            created_at=entry.created_at,
        )


class LedgerPage(_Body):
    entries: list[LedgerItem]
    next_cursor: str | None = Field(description="Pass as ?cursor= for older entries.")
    correlation_id: str


class TeacherLedgerArgs(_Body):
    account: Literal["user", "org"] = "user"
    cursor: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class AdminLedgerArgs(_Body):
    subject_type: CreditSubjectType | None = None
    subject_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    reason: CreditMovementReason | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    cursor: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class AdjustRequest(_Body):
    delta: Annotated[int, Field(ge=-(10**12), le=10**12)]
    note: Annotated[str, Field(min_length=1, max_length=1000)]
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255)] | None = None


class SetBalanceRequest(_Body):
    balance: Annotated[int, Field(ge=0, le=10**12)]
    note: Annotated[str, Field(min_length=1, max_length=1000)]


class AdminBalanceResponse(_Body):
    account: AccountBalance
    ledger_entry_id: UUID
    delta: int
    correlation_id: str


class PolicyReloadResponse(_Body):
    previous_version: str
    version: str
    correlation_id: str


def next_cursor(entries: list[LedgerEntry], limit: int) -> str | None:
    if len(entries) < limit or entries[-1].seq is None:
        return None
    return str(entries[-1].seq)
