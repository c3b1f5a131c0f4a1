"""In-memory adapters with the same semantics as the PostgreSQL ones (the contract tests run the
same suite against both). The unit of work is the library's in-memory twin: each transaction
works on a copy of the tables, a commit publishes it with its events, a duplicate is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from common_core.domain_enums import ContentType
from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.redis import Notification
from huleedu_service_libs.unit_of_work import (
    InMemoryState,
    InMemoryUnitOfWork,
    MemoryTable,
    UniqueViolation,
)
from services.file_service.config import SERVICE_NAME
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.implementations.content_stores import stored
from services.file_service.implementations.sql_repositories import DUPLICATE_CONSTRAINT
from services.file_service.protocols import (
    BatchRepository,
    ContentStore,
    DuplicateFileError,
    FileRepository,
    Page,
    StoredContent,
    UnitOfWorkFactory,
)

BatchTable = MemoryTable[UUID, Batch]
FileTable = MemoryTable[UUID, EssayFile]
ContentTable = MemoryTable[str, StoredContent]


class FileState(InMemoryState):
    """The committed rows by primary key, as the tests read them."""

    @property
    def batches(self) -> dict[UUID, Batch]:
        return self._rows("batches")

    @property
    def files(self) -> dict[UUID, EssayFile]:
        return self._rows("files")

    @property
    def content(self) -> dict[str, StoredContent]:
        return self._rows("content")

    def _rows(self, name: str) -> dict[Any, Any]:
        table = self.tables.get(name)
        return {} if table is None else table.rows


class MemoryBatchRepository:
    def __init__(self, table: BatchTable) -> None:
        self.table = table

    async def add(self, batch: Batch) -> None:
        self.table.insert(batch.batch_id, replace(batch))

    async def get(self, batch_id: UUID) -> Batch | None:
        batch = self.table.get(batch_id)
        return None if batch is None else replace(batch)

    get_for_share = get
    get_for_update = get

    async def save(self, batch: Batch) -> None:
        self.table.put(batch.batch_id, replace(batch))

    async def list_for_owner(self, owner_user_id: str, page: Page) -> tuple[list[Batch], int]:
        owned = [batch for batch in self.table if batch.owner_user_id == owner_user_id]
        owned.sort(key=lambda batch: (-batch.created_at.timestamp(), str(batch.batch_id)))
        window = owned[page.offset : page.offset + page.limit]
        return [replace(batch) for batch in window], len(owned)


class MemoryFileRepository:
    def __init__(self, table: FileTable) -> None:
        self.table = table

    async def add(self, file: EssayFile) -> None:
        try:
            self.table.insert(file.file_upload_id, replace(file))
        except UniqueViolation as violation:
            if violation.constraint != DUPLICATE_CONSTRAINT:
                raise
            raise DuplicateFileError(file.sha256) from violation

    async def get(self, file_upload_id: UUID) -> EssayFile | None:
        file = self.table.get(file_upload_id)
        return None if file is None else replace(file)

    get_for_update = get

    async def list_for_batch(self, batch_id: UUID) -> list[EssayFile]:
        files = [replace(file) for file in self.table if file.batch_id == batch_id]
        return sorted(files, key=lambda file: (file.created_at, str(file.file_upload_id)))

    async def hashes_in_batch(self, batch_id: UUID) -> set[str]:
        return {file.sha256 for file in self.table if file.batch_id == batch_id}

    async def save(self, file: EssayFile) -> None:
        self.table.put(file.file_upload_id, replace(file))

    async def delete(self, file_upload_id: UUID) -> None:
        self.table.delete(file_upload_id)

    async def claim_due(
        self,
        now: datetime,
        claimed_until: datetime,
        token: UUID,
        limit: int,
        claimer_lock_key: int | None = None,
    ) -> list[EssayFile]:
        # No liveness locks in memory: a claim here expires with its lease only.
        due = sorted((f for f in self.table if _is_due(f, now)), key=lambda f: f.created_at)
        for file in due[:limit]:
            file.status = FileStatus.PROCESSING
            file.attempts += 1
            file.claim_token = token
            file.claimed_until = claimed_until
        return [replace(file) for file in due[:limit]]


def _is_due(file: EssayFile, now: datetime) -> bool:
    if file.status is FileStatus.PENDING:
        return True
    expired = file.claimed_until is not None and file.claimed_until < now
    return file.status is FileStatus.PROCESSING and expired


def _batch_and_hash(file: EssayFile) -> tuple[UUID, str]:
    return file.batch_id, file.sha256


class MemoryContentStore:
    def __init__(self, table: ContentTable) -> None:
        self.table = table

    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        content = stored(content_type, data)
        if self.table.get(content.storage_id) is None:
            self.table.insert(content.storage_id, content)
        return content

    async def get(self, storage_id: str) -> StoredContent | None:
        return self.table.get(storage_id)


class MemoryUnitOfWork(InMemoryUnitOfWork):
    batches: BatchRepository
    files: FileRepository
    content: ContentStore

    def attach(self, tables: dict[str, Any]) -> None:
        self.batches = MemoryBatchRepository(tables.setdefault("batches", BatchTable()))
        unique = {DUPLICATE_CONSTRAINT: _batch_and_hash}
        self.files = MemoryFileRepository(tables.setdefault("files", FileTable(unique)))
        self.content = MemoryContentStore(tables.setdefault("content", ContentTable()))


def memory_units_of_work(state: FileState) -> UnitOfWorkFactory:
    envelopes = EnvelopeFactory(SERVICE_NAME)
    return lambda: MemoryUnitOfWork(state, envelopes)


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class RecordingNotifier:
    """Keeps what was sent, in order: the unit tests' view of the teacher's channel."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        self.sent.append(notification)


class CountingSignal:
    def __init__(self) -> None:
        self.notified = 0

    async def notify(self) -> None:
        self.notified += 1

    async def wait(self, timeout_seconds: float) -> bool:
        return False
