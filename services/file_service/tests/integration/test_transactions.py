"""State and events commit together or not at all (seed 003's rollback scenario), on PostgreSQL;
and a file whose claim changed hands still ends with exactly one outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common_core.domain_enums import ContentType
from huleedu_service_libs.clock import SystemClock
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxEvent, OutboxManager
from services.file_service.config import SERVICE_NAME
from services.file_service.domain.limits import DocumentLimits, UploadLimits
from services.file_service.handlers.events import emit_provisioned
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.handlers.uploads import IncomingFile, UploadEssays
from services.file_service.implementations.content_stores import TableContentStore
from services.file_service.implementations.unit_of_work import FileUnitOfWork
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import StoredContent
from services.file_service.tests import documents as docs
from services.file_service.tests.fakes import CountingSignal
from services.file_service.tests.integration.conftest import Database, new_batch, teacher
from services.file_service.tests.integration.test_worker import _outcome_counts

pytestmark = pytest.mark.integration
ESSAY = docs.essay_text(300)


def _uow(
    engine: AsyncEngine, store: Any = TableContentStore, outbox: OutboxManager | None = None
) -> Callable[[], FileUnitOfWork]:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    outbox = outbox or OutboxManager(None)
    return partial(FileUnitOfWork, sessions, outbox, EnvelopeFactory(SERVICE_NAME), store)


async def _pending_file(client: httpx.AsyncClient) -> tuple[str, str]:
    batch_id = await new_batch(client)
    files = [("files", ("a.txt", ESSAY.encode()))]
    response = await client.post(
        f"/v1/files/batch/{batch_id}/files", files=files, headers=teacher()
    )
    return batch_id, response.json()["files"][0]["file_upload_id"]


async def _provision(
    uow_factory: Callable[[], FileUnitOfWork], batch_id: str, file_id: str, then_commit: bool
) -> None:
    async with uow_factory() as uow:
        file = await uow.files.get_for_update(UUID(file_id))
        batch = await uow.batches.get(UUID(batch_id))
        assert file is not None
        assert batch is not None
        text = await uow.content.put(ContentType.EXTRACTED_TEXT, ESSAY.encode())
        file.provision(text.storage_id, len(ESSAY), SystemClock().now())
        await uow.files.save(file)
        emit_provisioned(uow, batch, file)
        if then_commit:
            await uow.commit()
        await uow.session.flush()
        raise RuntimeError("crash before commit")


async def test_a_failure_before_commit_leaves_neither_the_status_nor_the_events(
    client: httpx.AsyncClient, database: Database, engine: AsyncEngine
) -> None:
    batch_id, file_id = await _pending_file(client)
    before = await database.counts()

    with pytest.raises(RuntimeError, match="crash before commit"):
        await _provision(_uow(engine), batch_id, file_id, then_commit=False)

    assert await database.counts() == before
    status = await database.scalar(
        "SELECT status FROM file_uploads WHERE file_upload_id = :id", id=UUID(file_id)
    )
    assert status == "pending"


async def test_a_failure_when_writing_the_outbox_rolls_back_the_state(
    client: httpx.AsyncClient, database: Database, engine: AsyncEngine
) -> None:
    batch_id, file_id = await _pending_file(client)
    before = await database.counts()

    class BrokenOutbox(OutboxManager):
        async def publish_many_to_outbox(
            self, session: AsyncSession, events: Sequence[OutboxEvent]
        ) -> None:
            await super().publish_many_to_outbox(session, events)
            raise ConnectionError("outbox insert failed")

    uow_factory = _uow(engine, outbox=BrokenOutbox(None))
    with pytest.raises(ConnectionError):
        await _provision(uow_factory, batch_id, file_id, then_commit=True)

    assert await database.counts() == before


class FailingOnSecondPut(TableContentStore):
    puts = 0

    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        FailingOnSecondPut.puts += 1
        if FailingOnSecondPut.puts == 2:
            raise OSError("disk full")
        return await super().put(content_type, data)


async def test_an_upload_that_fails_half_way_stores_nothing(
    client: httpx.AsyncClient, database: Database, engine: AsyncEngine
) -> None:
    batch_id = UUID(await new_batch(client))
    before = await database.counts()
    upload = UploadEssays(
        _uow(engine, FailingOnSecondPut),
        SystemClock(),
        UploadLimits(),
        DocumentLimits(),
        CountingSignal(),
        FileMetrics(CollectorRegistry()),
    )
    files = [
        IncomingFile("a.txt", ESSAY.encode()),
        IncomingFile("b.txt", b"other " + ESSAY.encode()),
    ]
    with pytest.raises(OSError, match="disk full"):
        await upload("teacher-1", batch_id, files, CorrelationContext.generate())
    assert await database.counts() == before


async def test_a_worker_that_lost_its_claim_cannot_add_a_second_outcome(
    client: httpx.AsyncClient,
    database: Database,
    engine: AsyncEngine,
    process_files: ProcessFiles,
) -> None:
    _, file_id = await _pending_file(client)
    clock = SystemClock()
    slow = uuid4()
    async with _uow(engine)() as uow:  # the slow worker's claim, already expired
        now = clock.now()
        [claimed] = await uow.files.claim_due(now, now - timedelta(seconds=1), slow, 1)
        await uow.commit()

    await process_files.run_once()  # another worker takes the file over and finishes it
    outcome = await process_files.extractor.extract(ESSAY.encode(), claimed.file_format)
    slow_worker = ProcessFiles(
        _uow(engine),
        clock,
        process_files.extractor,
        process_files.policy,
        process_files.metrics,
        process_files.notifier,
    )
    await slow_worker._finish(UUID(file_id), slow, outcome)

    assert _outcome_counts(await database.outbox()) == {file_id: 1}
