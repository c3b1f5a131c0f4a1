"""In-memory adapters with the same semantics as the PostgreSQL ones, for handler unit tests."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from common_core.domain_enums import AuthorizationStatus
from common_core.events.envelope import EventEnvelope
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.domain.rate_limits import WindowState
from services.entitlements_service.protocols import (
    AccountRepository,
    AuditRepository,
    AuthorizationRepository,
    ChargeRepository,
    InboxRepository,
    KeyTakenError,
    LedgerQuery,
    LedgerRepository,
    PlannedCharge,
)


@dataclass
class Books:
    """The committed state: what a database would hold."""

    accounts: dict[Subject, Balance] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    holds: dict[UUID, Hold] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)
    audit: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    outbox: list[tuple[EventEnvelope[Any], str, str]] = field(default_factory=list)

    def events(self, event_type_suffix: str = "") -> list[EventEnvelope[Any]]:
        return [e for e, _, _ in self.outbox if e.event_type.endswith(event_type_suffix)]


class FakeAccounts:
    def __init__(self, books: Books) -> None:
        self.books = books

    async def get(self, subject: Subject) -> Balance | None:
        return self.books.accounts.get(subject)

    async def get_for_update(self, subject: Subject) -> Balance | None:
        return self.books.accounts.get(subject)

    async def create_if_absent(self, subject: Subject, opening_balance: int) -> Balance | None:
        if subject in self.books.accounts:
            return None
        self.books.accounts[subject] = Balance(subject, opening_balance)
        return self.books.accounts[subject]

    async def move(self, subject: Subject, delta: int, held_delta: int) -> Balance | None:
        current = self.books.accounts.get(subject)
        if current is None:
            return None
        balance, held = current.balance + delta, current.held + held_delta
        if not 0 <= held <= balance:
            return None
        self.books.accounts[subject] = Balance(subject, balance, held)
        return self.books.accounts[subject]


class FakeLedger:
    def __init__(self, books: Books) -> None:
        self.books = books

    async def add(self, entry: LedgerEntry) -> bool:
        if entry.idempotency_key and await self.by_idempotency_key(entry.idempotency_key):
            return False
        seq = len(self.books.ledger) + 1
        self.books.ledger.append(replace(entry, seq=seq, created_at=datetime.now(UTC)))
        return True

    async def by_idempotency_key(self, key: str) -> LedgerEntry | None:
        return next((e for e in self.books.ledger if e.idempotency_key == key), None)

    async def search(self, query: LedgerQuery) -> list[LedgerEntry]:
        found = [e for e in reversed(self.books.ledger) if _matches(e, query)]
        return found[: query.limit]


def _matches(entry: LedgerEntry, query: LedgerQuery) -> bool:
    assert entry.seq is not None
    return (
        (query.subject is None or entry.subject == query.subject)
        and (query.reason is None or entry.movement.reason.value == query.reason)
        and (query.before_seq is None or entry.seq < query.before_seq)
    )


class FakeCharges:
    """The charge statement on the books: the move, the entry and the events, or nothing."""

    def __init__(self, books: Books) -> None:
        self.books = books

    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        entry = planned.entry
        ledger = FakeLedger(self.books)
        if entry.idempotency_key and await ledger.by_idempotency_key(entry.idempotency_key):
            raise KeyTakenError(entry.idempotency_key)
        after = await FakeAccounts(self.books).move(entry.subject, entry.delta, entry.held_delta)
        if after is None:
            return None
        await ledger.add(replace(entry, balance_after=after.balance, held_after=after.held))
        written = self.books.ledger[-1]
        figures = {"balance_after": after.balance, "available_after": after.available}
        event = planned.balance_event
        filled = event.model_copy(update={"data": event.data.model_copy(update=figures)})
        self.books.outbox.append((filled, planned.aggregate_type, entry.subject.key))
        for other in planned.other_events:
            self.books.outbox.append((other.envelope, other.aggregate_type, other.aggregate_id))
        return written


class FakeAuthorizations:
    def __init__(self, books: Books) -> None:
        self.books = books

    async def add(self, hold: Hold) -> bool:
        if await self.by_idempotency_key(hold.idempotency_key):
            return False
        self.books.holds[hold.authorization_id] = hold
        return True

    async def by_idempotency_key(self, key: str) -> Hold | None:
        return next((h for h in self.books.holds.values() if h.idempotency_key == key), None)

    async def get_for_update(self, authorization_id: UUID) -> Hold | None:
        return self.books.holds.get(authorization_id)

    async def save(self, hold: Hold) -> None:
        self.books.holds[hold.authorization_id] = hold

    async def due_for_expiry(self, now: datetime, limit: int) -> list[Hold]:
        due = [
            h
            for h in self.books.holds.values()
            if h.status is AuthorizationStatus.ACTIVE and h.expires_at <= now
        ]
        return sorted(due, key=lambda h: h.expires_at)[:limit]

    async def active_for(self, subjects: Sequence[Subject]) -> list[Hold]:
        return [
            h
            for h in self.books.holds.values()
            if h.status is AuthorizationStatus.ACTIVE and h.payer in subjects
        ]


class FakeInbox:
    def __init__(self, books: Books) -> None:
        self.books = books

    async def claim(self, handler: str, event_id: UUID) -> bool:
        if (handler, event_id) in self.books.inbox:
            return False
        self.books.inbox.add((handler, event_id))
        return True


class FakeAudit:
    def __init__(self, books: Books) -> None:
        self.books = books

    async def record(
        self, action: str, actor: str, correlation_id: UUID, details: dict[str, Any]
    ) -> None:
        self.books.audit.append((action, actor, details))


class FakeUnitOfWork:
    """Works on a copy of the books; commit publishes the copy, anything else discards it."""

    accounts: AccountRepository
    ledger: LedgerRepository
    charges: ChargeRepository
    authorizations: AuthorizationRepository
    inbox: InboxRepository
    audit: AuditRepository

    def __init__(self, committed: Books) -> None:
        self.committed = committed

    async def __aenter__(self) -> Self:
        self.working = copy.deepcopy(self.committed)
        self.pending: list[tuple[EventEnvelope[Any], str, str]] = []
        self.accounts = FakeAccounts(self.working)
        self.ledger = FakeLedger(self.working)
        self.charges = FakeCharges(self.working)
        self.authorizations = FakeAuthorizations(self.working)
        self.inbox = FakeInbox(self.working)
        self.audit = FakeAudit(self.working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pending = []

    def emit(self, envelope: EventEnvelope[Any], aggregate_type: str, aggregate_id: str) -> None:
        self.pending.append((envelope, aggregate_type, aggregate_id))

    async def commit(self) -> None:
        self.working.outbox.extend(self.pending)
        self.pending = []
        for name in ("accounts", "ledger", "holds", "inbox", "audit", "outbox"):
            setattr(self.committed, name, getattr(self.working, name))
        self.working = copy.deepcopy(self.committed)
        self.__init_repositories()

    def __init_repositories(self) -> None:
        self.accounts = FakeAccounts(self.working)
        self.ledger = FakeLedger(self.working)
        self.charges = FakeCharges(self.working)
        self.authorizations = FakeAuthorizations(self.working)
        self.inbox = FakeInbox(self.working)
        self.audit = FakeAudit(self.working)

    async def rollback(self) -> None:
        self.pending = []
        self.working = copy.deepcopy(self.committed)
        self.__init_repositories()


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class InMemoryRateLimitStore:
    """A sliding log per key: (time, quantity, token)."""

    def __init__(self) -> None:
        self.logs: dict[str, list[tuple[float, int, str]]] = {}
        self.available = True

    async def windows(
        self, key: str, limits: Sequence[tuple[int, int]], now: float
    ) -> list[WindowState]:
        self._check()
        log = self.logs.get(key, [])
        return [_window(log, limit, seconds, now) for limit, seconds in limits]

    async def acquire(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str, now: float
    ) -> list[WindowState]:
        windows = await self.windows(key, limits, now)
        if all(window.allows(quantity) for window in windows):
            self.logs.setdefault(key, []).append((now, quantity, token))
        return windows

    async def release(
        self, key: str, limits: Sequence[tuple[int, int]], quantity: int, token: str
    ) -> None:
        self.logs[key] = [item for item in self.logs.get(key, []) if item[2] != token]

    def _check(self) -> None:
        if not self.available:
            raise ConnectionError("rate limit store unavailable")


def _window(log: list[tuple[float, int, str]], limit: int, seconds: int, now: float) -> WindowState:
    inside = [(at, quantity) for at, quantity, _ in log if at > now - seconds]
    used = sum(quantity for _, quantity in inside)
    oldest = min((at for at, _ in inside), default=now)
    retry = math.ceil(oldest + seconds - now) if inside else 0
    return WindowState(limit, seconds, used, retry)
