"""One contract, two implementations: SqlUnitOfWork on PostgreSQL and InMemoryUnitOfWork.

A "notes" table stands for a service's repository: a row keyed by id with a unique title.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from common_core.events.class_management import StudentDeletedV1
from common_core.events.codec import decode_envelope
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.correlation.scope import MissingCorrelationError
from huleedu_service_libs.engines import session_factory
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.idempotency.inbox import InboxBase
from huleedu_service_libs.outbox import OutboxBase, OutboxManager
from huleedu_service_libs.unit_of_work import (
    InMemoryState,
    InMemoryUnitOfWork,
    MemoryTable,
    SqlUnitOfWork,
    UniqueViolation,
    UnitOfWork,
)

pytestmark = pytest.mark.integration
SERVICE = "uow_contract_service"
notes_metadata = MetaData()
notes = Table(
    "notes",
    notes_metadata,
    Column("id", PG_UUID(as_uuid=True), primary_key=True),
    Column("title", String(100), nullable=False, unique=True),
)


@dataclass(frozen=True)
class Note:
    id: uuid.UUID
    title: str


class Notes(Protocol):
    async def add(self, note: Note) -> None: ...

    async def count(self) -> int: ...


class SqlNotes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, note: Note) -> None:
        await self.session.execute(insert(notes).values(id=note.id, title=note.title))

    async def count(self) -> int:
        return int(
            (await self.session.execute(select(func.count()).select_from(notes))).scalar_one()
        )


class NotesUnitOfWork(SqlUnitOfWork):
    notes: Notes

    def attach(self, session: AsyncSession) -> None:
        self.notes = SqlNotes(session)


class MemoryNotes:
    def __init__(self, table: MemoryTable[uuid.UUID, Note]) -> None:
        self.table = table

    async def add(self, note: Note) -> None:
        self.table.insert(note.id, note)

    async def count(self) -> int:
        return len(self.table)


class MemoryNotesUnitOfWork(InMemoryUnitOfWork):
    notes: Notes

    def attach(self, tables: dict[str, Any]) -> None:
        table: MemoryTable[uuid.UUID, Note] = tables.setdefault(
            "notes", MemoryTable[uuid.UUID, Note](unique={"notes_title_key": _title})
        )
        self.notes = MemoryNotes(table)


def _title(note: Note) -> str:
    return note.title


@dataclass
class Harness:
    new_uow: Callable[[], NotesUnitOfWork | MemoryNotesUnitOfWork]
    outbox: Callable[[], Awaitable[list[tuple[str, str, str]]]]  # (event_type, key, JSON)


@pytest.fixture
def memory_harness() -> Harness:
    state = InMemoryState()
    envelopes = EnvelopeFactory(SERVICE)

    async def memory_outbox() -> list[tuple[str, str, str]]:
        return [
            (e.envelope.event_type, e.event_key or e.aggregate_id, e.envelope.model_dump_json())
            for e in state.outbox
        ]

    return Harness(lambda: MemoryNotesUnitOfWork(state, envelopes), memory_outbox)


@pytest.fixture
async def sql_harness(fresh_database_url: str) -> AsyncIterator[Harness]:
    engine = create_async_engine(fresh_database_url)
    async with engine.begin() as connection:
        for metadata in (notes_metadata, OutboxBase.metadata, InboxBase.metadata):
            await connection.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    outbox = OutboxManager(wakeup=None)
    envelopes = EnvelopeFactory(SERVICE)
    table = OutboxBase.metadata.tables["event_outbox"]

    async def sql_outbox() -> list[tuple[str, str, str]]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(table.c.event_type, table.c.event_key, table.c.event_data).order_by(
                    table.c.seq
                )
            )
            return [(row[0], row[1], _json(row[2])) for row in rows]

    try:
        yield Harness(lambda: NotesUnitOfWork(sessions, outbox, envelopes), sql_outbox)
    finally:
        await engine.dispose()


def _json(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def _deleted() -> StudentDeletedV1:
    return StudentDeletedV1(student_id=uuid.uuid4(), owner_user_id="teacher-1")


def _context() -> CorrelationContext:
    return CorrelationContext.from_header("contract-request-1")


class UnitOfWorkContract:
    """The tests every unit of work passes; subclasses provide `harness`."""

    async def test_commit_stores_state_and_events_together(self, harness: Harness) -> None:
        payload = _deleted()
        with correlation_scope(_context()) as context:
            async with harness.new_uow() as uow:
                await uow.notes.add(Note(uuid.uuid4(), "first"))
                uow.emit(payload, aggregate_type="student", aggregate_id=payload.student_id)
                await uow.commit()
        async with harness.new_uow() as uow:
            assert await uow.notes.count() == 1
        [(event_type, key, raw)] = await harness.outbox()
        envelope = decode_envelope(event_type, raw)
        assert envelope.data == payload
        assert envelope.correlation_id == context.uuid
        assert envelope.source_service == SERVICE
        assert key == str(payload.student_id)

    async def test_what_is_not_committed_is_gone_with_its_events(self, harness: Harness) -> None:
        with correlation_scope(_context()):
            async with harness.new_uow() as uow:
                await uow.notes.add(Note(uuid.uuid4(), "dropped"))
                uow.emit(_deleted(), aggregate_type="student", aggregate_id="a")
            with pytest.raises(RuntimeError, match="boom"):  # noqa: PT012
                async with harness.new_uow() as uow:
                    uow.emit(_deleted(), aggregate_type="student", aggregate_id="b")
                    raise RuntimeError("boom")
            async with harness.new_uow() as uow:
                await uow.notes.add(Note(uuid.uuid4(), "rolled back"))
                uow.emit(_deleted(), aggregate_type="student", aggregate_id="c")
                await uow.rollback()
                await uow.commit()
        async with harness.new_uow() as uow:
            assert await uow.notes.count() == 0
        assert await harness.outbox() == []

    async def test_a_taken_unique_key_is_refused_and_nothing_commits(
        self, harness: Harness
    ) -> None:
        async with harness.new_uow() as uow:
            await uow.notes.add(Note(uuid.uuid4(), "same"))
            await uow.commit()
        with correlation_scope(_context()), pytest.raises(UniqueViolation):  # noqa: PT012
            async with harness.new_uow() as uow:
                uow.emit(_deleted(), aggregate_type="student", aggregate_id="x")
                await uow.notes.add(Note(uuid.uuid4(), "same"))
                await uow.commit()
        async with harness.new_uow() as uow:
            assert await uow.notes.count() == 1
        assert await harness.outbox() == []

    async def test_an_event_is_claimed_once_per_handler(self, harness: Harness) -> None:
        event_id = uuid.uuid4()
        async with harness.new_uow() as uow:
            assert await uow.claim_event("handler.a", event_id)
            assert not await uow.claim_event("handler.a", event_id)
            await uow.commit()
        async with harness.new_uow() as uow:
            assert not await uow.claim_event("handler.a", event_id)
            assert await uow.claim_event("handler.b", event_id)
        async with harness.new_uow() as uow:  # handler.b's claim was not committed
            assert await uow.claim_event("handler.b", event_id)

    async def test_concurrent_claims_of_one_event_commit_its_effects_once(
        self, harness: Harness
    ) -> None:
        event_id = uuid.uuid4()

        async def handle(title: str) -> None:
            with correlation_scope(_context()):
                async with harness.new_uow() as uow:
                    if not await uow.claim_event("handler.once", event_id):
                        return
                    await asyncio.sleep(0.05)
                    await uow.notes.add(Note(uuid.uuid4(), title))
                    uow.emit(_deleted(), aggregate_type="student", aggregate_id=title)
                    await uow.commit()

        results = await asyncio.gather(handle("one"), handle("two"), return_exceptions=True)
        assert all(r is None or isinstance(r, UniqueViolation) for r in results), results
        async with harness.new_uow() as uow:
            assert await uow.notes.count() == 1
        assert len(await harness.outbox()) == 1

    async def test_after_commit_callbacks_run_only_after_a_commit(self, harness: Harness) -> None:
        ran: list[str] = []

        async def record(name: str) -> None:
            ran.append(name)

        async with harness.new_uow() as uow:
            uow.after_commit(lambda: record("rolled back"))
        async with harness.new_uow() as uow:
            uow.after_commit(lambda: record("committed"))
            assert ran == []
            await uow.commit()
        assert ran == ["committed"]

    async def test_an_event_without_a_correlation_is_refused(self, harness: Harness) -> None:
        async with harness.new_uow() as uow:
            with pytest.raises(MissingCorrelationError):
                uow.emit(_deleted(), aggregate_type="student", aggregate_id="x")
            given = uuid.uuid4()
            uow.emit(_deleted(), aggregate_type="student", aggregate_id="y", correlation_id=given)
            await uow.commit()
        [(event_type, _, raw)] = await harness.outbox()
        assert decode_envelope(event_type, raw).correlation_id == given

    async def test_the_event_key_and_event_id_can_be_chosen(self, harness: Harness) -> None:
        event_id = uuid.uuid4()
        with correlation_scope(_context()):
            async with harness.new_uow() as uow:
                uow.emit(
                    _deleted(),
                    aggregate_type="student",
                    aggregate_id="s-1",
                    event_key="batch-7",
                    event_id=event_id,
                )
                await uow.commit()
        [(event_type, key, raw)] = await harness.outbox()
        assert key == "batch-7"
        assert decode_envelope(event_type, raw).event_id == event_id

    async def test_using_it_outside_async_with_is_an_error(self, harness: Harness) -> None:
        uow = harness.new_uow()
        with pytest.raises(RuntimeError, match="outside"):
            await uow.commit()


class TestSqlUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def harness(self, sql_harness: Harness) -> Harness:
        return sql_harness


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def harness(self, memory_harness: Harness) -> Harness:
        return memory_harness


def _both_are_units_of_work(
    sql: NotesUnitOfWork, memory: MemoryNotesUnitOfWork
) -> list[UnitOfWork]:
    return [sql, memory]  # mypy checks that both satisfy the port use cases see
