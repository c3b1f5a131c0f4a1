"""In-memory adapters with the same semantics as the PostgreSQL ones, for handler unit tests:
repositories over the tables of the library's in-memory unit of work, which rolls back what is
not committed and refuses a taken unique key as PostgreSQL does."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from common_core.domain_enums import AuthorizationStatus
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.unit_of_work import (
    InMemoryState,
    InMemoryUnitOfWork,
    MemoryTable,
    UniqueViolation,
)
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.domain.rate_limits import WindowState
from services.entitlements_service.protocols import (
    AccountRepository,
    AuditRepository,
    AuthorizationRepository,
    ChargeRepository,
    KeyTakenError,
    LedgerQuery,
    LedgerRepository,
    PlannedCharge,
    UnitOfWorkFactory,
)

Accounts = MemoryTable[Subject, Balance]
Ledger = MemoryTable[UUID, LedgerEntry]
Holds = MemoryTable[UUID, Hold]
Audit = list[tuple[str, str, dict[str, Any]]]


def fresh_state() -> InMemoryState:
    """The empty database: the tables with the unique keys of the migrations."""
    tables: dict[str, Any] = {
        "accounts": Accounts(),
        # Entries without a key never conflict (NULLs are distinct): they stand for their id.
        "ledger": Ledger(
            {"uq_credit_ledger_idempotency_key": lambda e: e.idempotency_key or e.entry_id}
        ),
        "holds": Holds({"uq_credit_authorizations_idempotency_key": lambda h: h.idempotency_key}),
        "audit": [],
    }
    return InMemoryState(tables=tables)


@dataclass(frozen=True)
class Books:
    """What the committed state holds, read as the tests ask for it."""

    state: InMemoryState

    @property
    def accounts(self) -> dict[Subject, Balance]:
        return dict(self.state.tables["accounts"].rows)

    @property
    def ledger(self) -> list[LedgerEntry]:
        return list(self.state.tables["ledger"])

    @property
    def holds(self) -> dict[UUID, Hold]:
        return dict(self.state.tables["holds"].rows)

    @property
    def audit(self) -> Audit:
        return list(self.state.tables["audit"])

    @property
    def inbox(self) -> set[tuple[str, UUID]]:
        return set(self.state.processed)

    def events(self, event_type_suffix: str = "") -> list[EventEnvelope[Any]]:
        return [e for e in self.state.envelopes() if e.event_type.endswith(event_type_suffix)]


class FakeAccounts:
    def __init__(self, table: Accounts) -> None:
        self.table = table

    async def get(self, subject: Subject) -> Balance | None:
        return self.table.get(subject)

    async def get_for_update(self, subject: Subject) -> Balance | None:
        return self.table.get(subject)

    async def create_if_absent(self, subject: Subject, opening_balance: int) -> Balance | None:
        if self.table.get(subject) is not None:
            return None
        self.table.insert(subject, Balance(subject, opening_balance))
        return self.table.get(subject)

    async def move(self, subject: Subject, delta: int, held_delta: int) -> Balance | None:
        current = self.table.get(subject)
        if current is None:
            return None
        balance, held = current.balance + delta, current.held + held_delta
        if not 0 <= held <= balance:
            return None
        self.table.put(subject, Balance(subject, balance, held))
        return self.table.get(subject)


class FakeLedger:
    def __init__(self, table: Ledger) -> None:
        self.table = table

    async def add(self, entry: LedgerEntry) -> bool:
        return self.write(entry) is not None

    def write(self, entry: LedgerEntry) -> LedgerEntry | None:
        """The entry as stored (numbered and dated), or None when its key is taken."""
        written = replace(entry, seq=len(self.table) + 1, created_at=datetime.now(UTC))
        try:
            self.table.insert(entry.entry_id, written)
        except UniqueViolation:
            return None
        return written

    async def by_idempotency_key(self, key: str) -> LedgerEntry | None:
        return next((e for e in self.table if e.idempotency_key == key), None)

    async def search(self, query: LedgerQuery) -> list[LedgerEntry]:
        found = [e for e in reversed(list(self.table)) if _matches(e, query)]
        return found[: query.limit]


def _matches(entry: LedgerEntry, query: LedgerQuery) -> bool:
    assert entry.seq is not None
    return (
        (query.subject is None or entry.subject == query.subject)
        and (query.reason is None or entry.movement.reason.value == query.reason)
        and (query.before_seq is None or entry.seq < query.before_seq)
    )


class FakeCharges:
    """The charge statement in the transaction: the move, the entry and the events, or nothing."""

    def __init__(self, accounts: FakeAccounts, ledger: FakeLedger, uow: InMemoryUnitOfWork) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.uow = uow

    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        entry = planned.entry
        if entry.idempotency_key and await self.ledger.by_idempotency_key(entry.idempotency_key):
            raise KeyTakenError(entry.idempotency_key)
        after = await self.accounts.move(entry.subject, entry.delta, entry.held_delta)
        if after is None:
            return None
        written = self.ledger.write(
            replace(entry, balance_after=after.balance, held_after=after.held)
        )
        self._emit(planned, after)
        return written

    def _emit(self, planned: PlannedCharge, after: Balance) -> None:
        figures = {"balance_after": after.balance, "available_after": after.available}
        balance = planned.balance_event
        filled = replace(balance, payload=balance.payload.model_copy(update=figures))
        for event in (filled, *planned.other_events):
            self.uow.emit(
                event.payload,
                aggregate_type=planned.aggregate_type,
                aggregate_id=planned.entry.subject.key,
                event_id=event.event_id,
                correlation_id=planned.entry.correlation_id,
            )


class AutocommitFakeCharges:
    """The HTTP path's charges: each one a transaction of its own."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self.uows = uows

    async def charge(self, planned: PlannedCharge) -> LedgerEntry | None:
        async with self.uows() as uow:
            written = await uow.charges.charge(planned)
            if written is not None:
                await uow.commit()
        return written


class FakeAuthorizations:
    def __init__(self, table: Holds) -> None:
        self.table = table

    async def add(self, hold: Hold) -> bool:
        try:
            self.table.insert(hold.authorization_id, hold)
        except UniqueViolation:
            return False
        return True

    async def by_idempotency_key(self, key: str) -> Hold | None:
        return next((h for h in self.table if h.idempotency_key == key), None)

    async def get_for_update(self, authorization_id: UUID) -> Hold | None:
        return self.table.get(authorization_id)

    async def save(self, hold: Hold) -> None:
        self.table.put(hold.authorization_id, hold)

    async def due_for_expiry(self, now: datetime, limit: int) -> list[Hold]:
        due = [
            h for h in self.table if h.status is AuthorizationStatus.ACTIVE and h.expires_at <= now
        ]
        return sorted(due, key=lambda h: h.expires_at)[:limit]

    async def active_for(self, subjects: Sequence[Subject]) -> list[Hold]:
        return [
            h for h in self.table if h.status is AuthorizationStatus.ACTIVE and h.payer in subjects
        ]


class FakeAudit:
    def __init__(self, rows: Audit) -> None:
        self.rows = rows

    async def record(
        self, action: str, actor: str, correlation_id: UUID, details: dict[str, Any]
    ) -> None:
        self.rows.append((action, actor, details))


class FakeUnitOfWork(InMemoryUnitOfWork):
    accounts: AccountRepository
    ledger: LedgerRepository
    charges: ChargeRepository
    authorizations: AuthorizationRepository
    audit: AuditRepository

    def attach(self, tables: dict[str, Any]) -> None:
        accounts, ledger = FakeAccounts(tables["accounts"]), FakeLedger(tables["ledger"])
        self.accounts, self.ledger = accounts, ledger
        self.charges = FakeCharges(accounts, ledger, self)
        self.authorizations = FakeAuthorizations(tables["holds"])
        self.audit = FakeAudit(tables["audit"])


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
