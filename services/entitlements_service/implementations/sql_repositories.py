"""PostgreSQL repositories. They run in the unit of work's session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.domain_enums import AuthorizationStatus
from huleedu_service_libs.database import AsyncpgStatement, fetch_one
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.implementations.row_mapping import (
    LEDGER_COLUMNS,
    hold_from_row,
    hold_values,
    ledger_from_row,
    ledger_values,
)
from services.entitlements_service.models_db import (
    AdminAuditRow,
    AuthorizationRow,
    Base,
    CreditAccountRow,
    LedgerEntryRow,
)
from services.entitlements_service.protocols import LedgerQuery

_ACCOUNT = Base.metadata.tables[CreditAccountRow.__tablename__]
_LEDGER = Base.metadata.tables[LedgerEntryRow.__tablename__]
_HOLDS = Base.metadata.tables[AuthorizationRow.__tablename__]
_AUDIT = Base.metadata.tables[AdminAuditRow.__tablename__]


def _is(subject: Subject) -> Any:
    return and_(_ACCOUNT.c.subject_type == subject.type.value, _ACCOUNT.c.subject_id == subject.id)


def _balance(subject: Subject, row: Any) -> Balance:
    return Balance(subject, balance=row["balance"], held=row["held"])


# The charge path's statements, compiled once and sent by asyncpg in the session's transaction:
# built per call through SQLAlchemy they cost more CPU than everything else in a charge.
_BALANCE, _HELD = _ACCOUNT.c.balance, _ACCOUNT.c.held
_MOVE = AsyncpgStatement.of(
    update(_ACCOUNT)
    .where(
        _ACCOUNT.c.subject_type == bindparam("subject_type"),
        _ACCOUNT.c.subject_id == bindparam("subject_id"),
        _BALANCE + bindparam("delta") >= _HELD + bindparam("held_delta"),
        _HELD + bindparam("held_delta") >= 0,
    )
    .values(
        balance=_BALANCE + bindparam("delta"),
        held=_HELD + bindparam("held_delta"),
        updated_at=func.now(),
    )
    .returning(_BALANCE, _HELD)
)
# Without a key there is nothing to conflict with (NULLs are distinct), so one statement serves.
_ADD_ENTRY = AsyncpgStatement.of(
    pg_insert(_LEDGER)
    .values({name: bindparam(name, type_=_LEDGER.c[name].type) for name in LEDGER_COLUMNS})
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(_LEDGER.c.id)
)
_ENTRY_BY_KEY = AsyncpgStatement.of(
    select(_LEDGER).where(_LEDGER.c.idempotency_key == bindparam("key"))
)


class SqlAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, subject: Subject) -> Balance | None:
        row = (await self.session.execute(select(_ACCOUNT).where(_is(subject)))).first()
        return None if row is None else _balance(subject, row._mapping)

    async def get_for_update(self, subject: Subject) -> Balance | None:
        statement = select(_ACCOUNT).where(_is(subject)).with_for_update()
        row = (await self.session.execute(statement)).first()
        return None if row is None else _balance(subject, row._mapping)

    async def create_if_absent(self, subject: Subject, opening_balance: int) -> Balance | None:
        statement = (
            pg_insert(_ACCOUNT)
            .values(subject_type=subject.type.value, subject_id=subject.id, balance=opening_balance)
            .on_conflict_do_nothing()
            .returning(_ACCOUNT.c.balance, _ACCOUNT.c.held)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else _balance(subject, row._mapping)

    async def move(self, subject: Subject, delta: int, held_delta: int) -> Balance | None:
        values = {
            "subject_type": subject.type.value,
            "subject_id": subject.id,
            "delta": delta,
            "held_delta": held_delta,
        }
        record = await fetch_one(self.session, _MOVE, values)
        return None if record is None else _balance(subject, record)


class SqlLedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: LedgerEntry) -> bool:
        return await fetch_one(self.session, _ADD_ENTRY, ledger_values(entry)) is not None

    async def by_idempotency_key(self, key: str) -> LedgerEntry | None:
        record = await fetch_one(self.session, _ENTRY_BY_KEY, {"key": key})
        return None if record is None else ledger_from_row(record)

    async def search(self, query: LedgerQuery) -> list[LedgerEntry]:
        statement = select(_LEDGER).where(*_ledger_filters(query))
        statement = statement.order_by(_LEDGER.c.seq.desc()).limit(query.limit)
        return [ledger_from_row(row._mapping) for row in await self.session.execute(statement)]


def _ledger_filters(query: LedgerQuery) -> list[Any]:
    filters: list[Any] = []
    if query.subject is not None:
        filters.append(_LEDGER.c.subject_type == query.subject.type.value)
        filters.append(_LEDGER.c.subject_id == query.subject.id)
    if query.reason is not None:
        filters.append(_LEDGER.c.reason == query.reason)
    if query.before_seq is not None:
        filters.append(_LEDGER.c.seq < query.before_seq)
    if query.since is not None:
        filters.append(_LEDGER.c.created_at >= query.since)
    if query.until is not None:
        filters.append(_LEDGER.c.created_at < query.until)
    return filters


class SqlAuthorizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, hold: Hold) -> bool:
        statement = (
            pg_insert(_HOLDS)
            .values(**hold_values(hold))
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_HOLDS.c.id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def by_idempotency_key(self, key: str) -> Hold | None:
        statement = select(_HOLDS).where(_HOLDS.c.idempotency_key == key)
        row = (await self.session.execute(statement)).first()
        return None if row is None else hold_from_row(row._mapping)

    async def get_for_update(self, authorization_id: UUID) -> Hold | None:
        statement = select(_HOLDS).where(_HOLDS.c.id == authorization_id).with_for_update()
        row = (await self.session.execute(statement)).first()
        return None if row is None else hold_from_row(row._mapping)

    async def save(self, hold: Hold) -> None:
        statement = (
            update(_HOLDS)
            .where(_HOLDS.c.id == hold.authorization_id)
            .values(
                credits_consumed=hold.credits_consumed,
                status=hold.status.value,
                updated_at=func.now(),
            )
        )
        await self.session.execute(statement)

    async def due_for_expiry(self, now: datetime, limit: int) -> list[Hold]:
        statement = (
            select(_HOLDS)
            .where(_HOLDS.c.status == AuthorizationStatus.ACTIVE.value, _HOLDS.c.expires_at <= now)
            .order_by(_HOLDS.c.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [hold_from_row(row._mapping) for row in await self.session.execute(statement)]

    async def active_for(self, subjects: Sequence[Subject]) -> list[Hold]:
        pairs = [(subject.type.value, subject.id) for subject in subjects]
        statement = (
            select(_HOLDS)
            .where(
                _HOLDS.c.status == AuthorizationStatus.ACTIVE.value,
                tuple_(_HOLDS.c.subject_type, _HOLDS.c.subject_id).in_(pairs),
            )
            .order_by(_HOLDS.c.expires_at)
        )
        return [hold_from_row(row._mapping) for row in await self.session.execute(statement)]


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, action: str, actor: str, correlation_id: UUID, details: dict[str, Any]
    ) -> None:
        values = {
            "action": action,
            "actor": actor,
            "correlation_id": correlation_id,
            "details": details,
        }
        await self.session.execute(insert(_AUDIT).values(**values))
