"""Ledger entries: every credit movement is one, and a balance is the sum of its entries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from common_core.domain_enums import CreditMovementReason
from services.entitlements_service.domain.accounts import Balance, Subject


@dataclass(frozen=True, slots=True)
class Movement:
    """What a request or event asked for; its fingerprint tells a replay from a conflict."""

    reason: CreditMovementReason
    user_id: str | None = None
    org_id: str | None = None
    metric: str | None = None
    quantity: int | None = None
    resource_id: str | None = None
    authorization_id: UUID | None = None
    actor: str | None = None
    note: str | None = None

    def fingerprint(self) -> str:
        fields = {
            "reason": self.reason.value,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "metric": self.metric,
            "quantity": self.quantity,
            "resource_id": self.resource_id,
            "authorization_id": str(self.authorization_id) if self.authorization_id else None,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    subject: Subject
    delta: int
    held_delta: int
    balance_after: int
    held_after: int
    movement: Movement
    correlation_id: UUID
    idempotency_key: str | None = None
    entry_id: UUID = field(default_factory=uuid4)
    created_at: datetime | None = None
    seq: int | None = None

    @classmethod
    def record(
        cls,
        after: Balance,
        delta: int,
        held_delta: int,
        movement: Movement,
        correlation_id: UUID,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        return cls(
            subject=after.subject,
            delta=delta,
            held_delta=held_delta,
            balance_after=after.balance,
            held_after=after.held,
            movement=movement,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
        )

    @property
    def available_after(self) -> int:
        return self.balance_after - self.held_after

    def matches(self, movement: Movement) -> bool:
        return self.movement.fingerprint() == movement.fingerprint()


def scoped_key(scope: str, key: str) -> str:
    """Keys of different operations never collide: a hold key is not a consumption key."""
    return f"{scope}:{key}"
