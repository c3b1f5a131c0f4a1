"""Ports at the real seams: storage (PostgreSQL or in memory) and the rate-limit store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from common_core.events.base import EventPayload
from huleedu_service_libs.unit_of_work import UnitOfWork as Transaction
from huleedu_service_libs.unit_of_work import UnitOfWorkFactory as Factory
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.domain.rate_limits import WindowState


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    subject: Subject | None = None
    reason: str | None = None
    before_seq: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50


class AccountRepository(Protocol):
    async def get(self, subject: Subject) -> Balance | None: ...
    async def create_if_absent(self, subject: Subject, opening_balance: int) -> Balance | None:
        """The new account, or None when it already existed."""
        ...

    async def move(self, subject: Subject, delta: int, held_delta: int) -> Balance | None:
        """Atomically add to balance and held; None, and nothing changed, when the account is
        missing or the result would break 0 <= held <= balance (so a debit never overdraws)."""
        ...

    async def get_for_update(self, subject: Subject) -> Balance | None: ...


class LedgerRepository(Protocol):
    async def add(self, entry: LedgerEntry) -> bool:
        """False, and nothing written, when the idempotency key is taken."""
        ...

    async def by_idempotency_key(self, key: str) -> LedgerEntry | None: ...
    async def search(self, query: LedgerQuery) -> list[LedgerEntry]: ...


class KeyTakenError(Exception):
    """The idempotency key already made an entry (a repeat, or a concurrent request that
    committed first); nothing was written."""


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """An event before its envelope: the store wraps it with the entry's correlation id."""

    payload: EventPayload
    event_id: UUID


@dataclass(frozen=True, slots=True)
class PlannedCharge:
    """A movement of one account with its ledger entry and events, made all at once or not at
    all. The balance figures of `entry` and of `balance_event` are placeholders: the store fills
    them in from the account as the movement leaves it."""

    entry: LedgerEntry
    balance_event: PlannedEvent
    other_events: tuple[PlannedEvent, ...]
    aggregate_type: str


class ChargeRepository(Protocol):
    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        """The entry as written, with the account's balance after it; None, and nothing
        written, when the account is missing or the movement would break
        0 <= held <= balance. Raises KeyTakenError when the entry's key is taken."""
        ...


class AuthorizationRepository(Protocol):
    async def add(self, hold: Hold) -> bool:
        """False, and nothing written, when the idempotency key is taken."""
        ...

    async def by_idempotency_key(self, key: str) -> Hold | None: ...
    async def get_for_update(self, authorization_id: UUID) -> Hold | None: ...
    async def save(self, hold: Hold) -> None: ...
    async def due_for_expiry(self, now: datetime, limit: int) -> list[Hold]: ...
    async def active_for(self, subjects: Sequence[Subject]) -> list[Hold]: ...


class AuditRepository(Protocol):
    async def record(
        self, action: str, actor: str, correlation_id: UUID, details: dict[str, Any]
    ) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """One transaction (SqlUnitOfWork or its in-memory twin) with this service's repositories."""

    accounts: AccountRepository
    ledger: LedgerRepository
    charges: ChargeRepository
    authorizations: AuthorizationRepository
    audit: AuditRepository


UnitOfWorkFactory = Factory[UnitOfWork]


class RateLimitStore(Protocol):
    async def windows(
        self, key: str, limits: Sequence[tuple[int, int]], now: float
    ) -> list[WindowState]:
        """The usage in each (limit, window_seconds) window, without recording anything."""
        ...

    async def acquire(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str, now: float
    ) -> list[WindowState]:
        """Record `quantity` under `token` if every window has room (atomically); the windows
        as they were before, so the caller sees which one refused."""
        ...

    async def release(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str
    ) -> None:
        """Takes back what `acquire` recorded under `token` with these limits and quantity."""
        ...
