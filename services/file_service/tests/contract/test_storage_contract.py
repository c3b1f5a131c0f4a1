"""One suite, run against the in-memory adapters the unit tests use and against PostgreSQL (and
the table and directory content stores), so the fakes cannot drift from the real thing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common_core.courses import CourseCode
from common_core.domain_enums import ContentType, FileFormat
from common_core.events.file import BatchFileAddedV1
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxManager
from huleedu_service_libs.unit_of_work import UniqueViolation
from services.file_service.config import SERVICE_NAME
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.implementations.content_stores import (
    DirectoryContentStore,
    TableContentStore,
)
from services.file_service.implementations.unit_of_work import FileUnitOfWork
from services.file_service.protocols import DuplicateFileError, Page, UnitOfWork, UnitOfWorkFactory
from services.file_service.tests.fakes import FileState, memory_units_of_work

pytestmark = pytest.mark.contract
SERVICE_DIR = Path(__file__).parents[2]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Backend:
    uow: UnitOfWorkFactory
    event_ids: Callable[[], Awaitable[list[str]]]


@pytest.fixture(
    params=[
        "memory",
        pytest.param("postgres-table", marks=pytest.mark.integration),
        pytest.param("postgres-directory", marks=pytest.mark.integration),
    ]
)
async def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    migrated_database: Callable[[Path], Awaitable[str]],
) -> AsyncIterator[Backend]:
    if request.param == "memory":
        state = FileState()

        async def memory_ids() -> list[str]:
            return [str(event.envelope.event_id) for event in state.outbox]

        yield Backend(memory_units_of_work(state), memory_ids)
        return
    engine = create_async_engine(await migrated_database(SERVICE_DIR))
    directory = DirectoryContentStore(tmp_path / "store")
    store = TableContentStore if request.param == "postgres-table" else (lambda _s: directory)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def outbox_ids() -> list[str]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_data::text FROM event_outbox ORDER BY seq")
            )
            return [json.loads(row[0])["event_id"] for row in rows]

    envelopes = EnvelopeFactory(SERVICE_NAME)
    yield Backend(
        partial(FileUnitOfWork, sessions, OutboxManager(None), envelopes, store), outbox_ids
    )
    await engine.dispose()


def _emit_probe(uow: UnitOfWork, batch: Batch) -> UUID:
    added = BatchFileAddedV1(
        batch_id=batch.batch_id,
        file_upload_id=uuid4(),
        owner_user_id="t-1",
        original_file_name="a",
    )
    envelope = uow.emit(
        added, aggregate_type="file_batch", aggregate_id=batch.batch_id, correlation_id=uuid4()
    )
    return envelope.event_id


def _batch(owner: str = "t-1", created: datetime = T0) -> Batch:
    return Batch(uuid4(), owner, "Essays", CourseCode.SV1, None, created)


def _file(batch: Batch, sha: str, created: datetime = T0) -> EssayFile:
    return EssayFile(
        file_upload_id=uuid4(),
        batch_id=batch.batch_id,
        owner_user_id=batch.owner_user_id,
        file_name="essay.txt",
        file_format=FileFormat.TXT,
        size_bytes=10,
        md5="0" * 32,
        sha256=sha.ljust(64, "0"),
        raw_storage_id="raw-" + "1" * 64,
        correlation_id=uuid4(),
        original_correlation_id="c",
        created_at=created,
    )


async def _store(backend: Backend, batch: Batch, *files: EssayFile) -> None:
    async with backend.uow() as uow:
        await uow.batches.add(batch)
        for file in files:
            await uow.files.add(file)
        await uow.commit()


async def test_batches_round_trip_and_list_newest_first(backend: Backend) -> None:
    batches = [_batch(created=T0 + timedelta(minutes=i)) for i in range(3)]
    for batch in batches:
        await _store(backend, batch)
    await _store(backend, _batch(owner="t-2"))
    async with backend.uow() as uow:
        assert await uow.batches.get(batches[0].batch_id) == batches[0]
        page, total = await uow.batches.list_for_owner("t-1", Page(offset=1, limit=5))
    assert total == 3
    assert [b.batch_id for b in page] == [batches[1].batch_id, batches[0].batch_id]


async def test_an_uncommitted_unit_of_work_leaves_nothing(backend: Backend) -> None:
    batch = _batch()
    async with backend.uow() as uow:
        await uow.batches.add(batch)
        _emit_probe(uow, batch)
    async with backend.uow() as uow:
        assert await uow.batches.get(batch.batch_id) is None
    assert await backend.event_ids() == []


async def test_events_commit_with_the_state(backend: Backend) -> None:
    batch = _batch()
    async with backend.uow() as uow:
        await uow.batches.add(batch)
        event_id = _emit_probe(uow, batch)
        await uow.commit()
    assert await backend.event_ids() == [str(event_id)]


async def test_the_same_bytes_twice_in_a_batch_are_a_duplicate(backend: Backend) -> None:
    batch = _batch()
    await _store(backend, batch, _file(batch, "a"))
    with pytest.raises(DuplicateFileError):
        async with backend.uow() as uow:
            await uow.files.add(_file(batch, "a"))
    other = _batch()
    await _store(backend, other, _file(other, "a"))  # another batch may hold them


async def test_a_taken_primary_key_is_refused_as_postgresql_refuses_it(backend: Backend) -> None:
    batch = _batch()
    await _store(backend, batch)
    with pytest.raises(UniqueViolation):
        await _store(backend, replace(batch, title="The same id again"))
    async with backend.uow() as uow:
        assert await uow.batches.get(batch.batch_id) == batch


async def test_claims_take_due_files_oldest_first_and_skip_live_claims(backend: Backend) -> None:
    batch = _batch()
    files = [_file(batch, str(i), T0 + timedelta(seconds=i)) for i in range(3)]
    await _store(backend, batch, *files)
    first_token, second_token = uuid4(), uuid4()
    async with backend.uow() as uow:
        first = await uow.files.claim_due(T0, T0 + timedelta(seconds=30), first_token, 2)
        await uow.commit()
    async with backend.uow() as uow:
        second = await uow.files.claim_due(T0, T0 + timedelta(seconds=30), second_token, 5)
        later = await uow.files.claim_due(T0 + timedelta(seconds=31), T0, second_token, 5)
        await uow.commit()

    assert [f.file_upload_id for f in first] == [files[0].file_upload_id, files[1].file_upload_id]
    assert {(f.status, f.attempts, f.claim_token) for f in first} == {
        (FileStatus.PROCESSING, 1, first_token)
    }
    assert [f.file_upload_id for f in second] == [files[2].file_upload_id]
    assert [(f.file_upload_id, f.attempts) for f in later] == [  # every lease has run out
        (files[0].file_upload_id, 2),
        (files[1].file_upload_id, 2),
        (files[2].file_upload_id, 2),
    ]


async def test_a_saved_outcome_reads_back_and_delete_removes(backend: Backend) -> None:
    batch = _batch()
    file = _file(batch, "b")
    await _store(backend, batch, file)
    async with backend.uow() as uow:
        file.provision("text-" + "2" * 64, 1234, T0)
        await uow.files.save(file)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.files.get(file.file_upload_id) == file
        assert await uow.files.hashes_in_batch(batch.batch_id) == {file.sha256}
        await uow.files.delete(file.file_upload_id)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.files.list_for_batch(batch.batch_id) == []


async def test_content_is_addressed_by_type_and_hash(backend: Backend) -> None:
    async with backend.uow() as uow:
        first = await uow.content.put(ContentType.RAW_UPLOAD, b"essay bytes")
        again = await uow.content.put(ContentType.RAW_UPLOAD, b"essay bytes")
        as_text = await uow.content.put(ContentType.EXTRACTED_TEXT, b"essay bytes")
        await uow.commit()
    async with backend.uow() as uow:
        stored = await uow.content.get(first.storage_id)
        missing = await uow.content.get("text-" + "f" * 64)
    assert first == again
    assert first.storage_id != as_text.storage_id
    assert stored is not None
    assert (stored.data, stored.content_type, stored.md5) == (
        b"essay bytes",
        ContentType.RAW_UPLOAD,
        first.md5,
    )
    assert missing is None
