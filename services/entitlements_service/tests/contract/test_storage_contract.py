"""One contract, two adapters: the in-memory fakes the unit tests use behave like PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common_core.domain_enums import AuthorizationStatus, CreditMovementReason
from common_core.models.entitlements_api import ConsumeCreditsRequest
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxManager
from services.entitlements_service.config import SERVICE_NAME
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry, Movement
from services.entitlements_service.handlers.consumption import planned_charge
from services.entitlements_service.implementations.unit_of_work import EntitlementsUnitOfWork
from services.entitlements_service.protocols import (
    KeyTakenError,
    LedgerQuery,
    PlannedCharge,
    UnitOfWorkFactory,
)
from services.entitlements_service.tests.support.fakes import FakeUnitOfWork, fresh_state
from services.entitlements_service.tests.support.paths import SERVICE_DIR

pytestmark = pytest.mark.contract
USER = Subject.user("c1")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
async def uows(
    request: pytest.FixtureRequest, migrated_database: Callable[[Path], Awaitable[str]]
) -> AsyncIterator[UnitOfWorkFactory]:
    envelopes = EnvelopeFactory(SERVICE_NAME)
    if request.param == "memory":
        state = fresh_state()
        yield lambda: FakeUnitOfWork(state, envelopes)
        return
    engine = create_async_engine(await migrated_database(SERVICE_DIR))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    yield lambda: EntitlementsUnitOfWork(sessions, OutboxManager(None), envelopes)
    await engine.dispose()


def _entry(after: Balance, delta: int, key: str | None = None) -> LedgerEntry:
    movement = Movement(CreditMovementReason.GRANT, note="contract")
    return LedgerEntry.record(after, delta, 0, movement, uuid4(), key)


def _hold(key: str, expires_at: datetime) -> Hold:
    return Hold(uuid4(), USER, "c1", None, "cj_comparison", 5, 1, 5, expires_at, key, "f" * 64)


async def test_accounts_open_once_and_never_overdraw(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        assert await uow.accounts.create_if_absent(USER, 10) == Balance(USER, 10, 0)
        assert await uow.accounts.create_if_absent(USER, 99) is None
        assert await uow.accounts.move(USER, 0, 4) == Balance(USER, 10, 4)
        assert await uow.accounts.move(USER, -7, 0) is None  # only 6 available
        assert await uow.accounts.move(USER, -6, 0) == Balance(USER, 4, 4)
        assert await uow.accounts.move(USER, -4, -4) == Balance(USER, 0, 0)
        assert await uow.accounts.move(USER, 0, -1) is None
        assert await uow.accounts.move(Subject.org("none"), 5, 0) is None
        await uow.commit()
    async with uows() as uow:
        assert await uow.accounts.get(USER) == Balance(USER, 0, 0)


async def test_nothing_survives_a_rollback(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        await uow.accounts.create_if_absent(USER, 10)
        await uow.rollback()
    async with uows() as uow:
        assert await uow.accounts.get(USER) is None


async def test_ledger_keys_are_unique_and_search_pages_backwards(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        opened = await uow.accounts.create_if_absent(USER, 0)
        assert opened is not None
        assert await uow.ledger.add(_entry(opened, 0, "k1"))
        assert not await uow.ledger.add(_entry(opened, 0, "k1"))
        for _ in range(3):
            assert await uow.ledger.add(_entry(opened, 0))
        await uow.commit()
    async with uows() as uow:
        found = await uow.ledger.by_idempotency_key("k1")
        page = await uow.ledger.search(LedgerQuery(subject=USER, limit=2))
        older = await uow.ledger.search(LedgerQuery(subject=USER, before_seq=page[-1].seq, limit=5))
    assert found is not None
    assert found.idempotency_key == "k1"
    seqs = [entry.seq or 0 for entry in page + older]
    assert seqs == sorted(seqs, reverse=True)
    assert len(page + older) == 4


async def test_holds_by_key_expiry_and_activity(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        await uow.accounts.create_if_absent(USER, 100)
        due, later = _hold("a", NOW - timedelta(seconds=1)), _hold("b", NOW + timedelta(hours=1))
        assert await uow.authorizations.add(due)
        assert await uow.authorizations.add(later)
        assert not await uow.authorizations.add(_hold("a", NOW))
        await uow.commit()
    async with uows() as uow:
        expiring = await uow.authorizations.due_for_expiry(NOW, limit=10)
        assert [hold.idempotency_key for hold in expiring] == ["a"]
        await uow.authorizations.save(expiring[0].expire())
        await uow.commit()
    async with uows() as uow:
        active = await uow.authorizations.active_for([USER])
        locked = await uow.authorizations.get_for_update(due.authorization_id)
    assert [hold.idempotency_key for hold in active] == ["b"]
    assert locked is not None
    assert locked.status is AuthorizationStatus.EXPIRED


async def test_an_event_is_claimed_once(uows: UnitOfWorkFactory) -> None:
    event_id = uuid4()
    async with uows() as uow:
        assert await uow.claim_event("handler", event_id)
        await uow.commit()
    async with uows() as uow:
        assert not await uow.claim_event("handler", event_id)
        assert await uow.claim_event("other-handler", event_id)


def _planned(cost: int, key: str) -> PlannedCharge:
    request = ConsumeCreditsRequest(
        user_id=USER.id, metric="cj_comparison", quantity=cost, idempotency_key=key
    )
    return planned_charge(USER, cost, request, uuid4())


async def test_a_charge_is_written_whole_or_not_at_all(uows: UnitOfWorkFactory) -> None:
    async with uows() as uow:
        await uow.accounts.create_if_absent(USER, 10)
        await uow.accounts.move(USER, 0, 3)
        written = await uow.charges.charge(_planned(4, "k1"))
        assert await uow.charges.charge(_planned(4, "k2")) is None  # 3 of the 6 are held
        assert await uow.charges.charge(_planned(1, "elsewhere")) is not None
        await uow.commit()
    async with uows() as uow:
        with pytest.raises(KeyTakenError):
            await uow.charges.charge(_planned(1, "k1"))
    async with uows() as uow:
        stored = await uow.ledger.by_idempotency_key("consume:k1")
        refused = await uow.ledger.by_idempotency_key("consume:k2")
        balance = await uow.accounts.get(USER)
    assert written is not None
    assert (written.balance_after, written.held_after, written.delta) == (6, 3, -4)
    assert stored is not None
    assert (stored.entry_id, stored.balance_after, stored.seq) == (
        written.entry_id,
        6,
        written.seq,
    )
    assert refused is None
    assert balance == Balance(USER, 5, 3)
