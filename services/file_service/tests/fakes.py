"""In-memory adapters with the same semantics as the PostgreSQL ones (the contract tests run the
same suite against both): a unit of work sees a private copy and publishes it on commit."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from common_core.domain_enums import ContentType
from common_core.events.envelope import EventEnvelope
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.implementations.content_stores import stored
from services.file_service.protocols import (
    BatchRepository,
    ContentStore,
    DuplicateFileError,
    FileRepository,
    Page,
    StoredContent,
    UnitOfWork,
)


@dataclass(frozen=True)
class RecordedEvent:
    envelope: EventEnvelope[Any]
    aggregate_type: str
    aggregate_id: str
    event_key: str

    @property
    def topic(self) -> str:
        return self.envelope.event_type


@dataclass
class MemoryState:
    batches: dict[UUID, Batch] = field(default_factory=dict)
    files: dict[UUID, EssayFile] = field(default_factory=dict)
    content: dict[str, StoredContent] = field(default_factory=dict)
    events: list[RecordedEvent] = field(default_factory=list)

    def topics(self) -> list[str]:
        return [event.topic for event in self.events]


class MemoryBatchRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def add(self, batch: Batch) -> None:
        self.state.batches[batch.batch_id] = replace(batch)

    async def get(self, batch_id: UUID) -> Batch | None:
        batch = self.state.batches.get(batch_id)
        return None if batch is None else replace(batch)

    get_for_share = get
    get_for_update = get

    async def save(self, batch: Batch) -> None:
        self.state.batches[batch.batch_id] = replace(batch)

    async def list_for_owner(self, owner_user_id: str, page: Page) -> tuple[list[Batch], int]:
        owned = [b for b in self.state.batches.values() if b.owner_user_id == owner_user_id]
        owned.sort(key=lambda batch: (-batch.created_at.timestamp(), str(batch.batch_id)))
        window = owned[page.offset : page.offset + page.limit]
        return [replace(batch) for batch in window], len(owned)


class MemoryFileRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def add(self, file: EssayFile) -> None:
        if file.sha256 in await self.hashes_in_batch(file.batch_id):
            raise DuplicateFileError(file.sha256)
        self.state.files[file.file_upload_id] = replace(file)

    async def get(self, file_upload_id: UUID) -> EssayFile | None:
        file = self.state.files.get(file_upload_id)
        return None if file is None else replace(file)

    get_for_update = get

    async def list_for_batch(self, batch_id: UUID) -> list[EssayFile]:
        files = [replace(f) for f in self.state.files.values() if f.batch_id == batch_id]
        return sorted(files, key=lambda file: (file.created_at, str(file.file_upload_id)))

    async def hashes_in_batch(self, batch_id: UUID) -> set[str]:
        return {f.sha256 for f in self.state.files.values() if f.batch_id == batch_id}

    async def save(self, file: EssayFile) -> None:
        self.state.files[file.file_upload_id] = replace(file)

    async def delete(self, file_upload_id: UUID) -> None:
        self.state.files.pop(file_upload_id, None)

    async def claim_due(
        self,
        now: datetime,
        claimed_until: datetime,
        token: UUID,
        limit: int,
        claimer_lock_key: int | None = None,
    ) -> list[EssayFile]:
        # No liveness locks in memory: a claim here expires with its lease only.
        due = sorted(
            (f for f in self.state.files.values() if _is_due(f, now)),
            key=lambda file: file.created_at,
        )[:limit]
        for file in due:
            file.status = FileStatus.PROCESSING
            file.attempts += 1
            file.claim_token = token
            file.claimed_until = claimed_until
        return [replace(file) for file in due]


def _is_due(file: EssayFile, now: datetime) -> bool:
    if file.status is FileStatus.PENDING:
        return True
    expired = file.claimed_until is not None and file.claimed_until < now
    return file.status is FileStatus.PROCESSING and expired


class MemoryContentStore:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        content = stored(content_type, data)
        self.state.content.setdefault(content.storage_id, content)
        return content

    async def get(self, storage_id: str) -> StoredContent | None:
        return self.state.content.get(storage_id)


class MemoryUnitOfWork:
    batches: BatchRepository
    files: FileRepository
    content: ContentStore

    def __init__(self, shared: MemoryState) -> None:
        self.shared = shared
        self.committed = False

    async def __aenter__(self) -> Self:
        self.working = copy.deepcopy(self.shared)
        self.working.events = []
        self.batches = MemoryBatchRepository(self.working)
        self.files = MemoryFileRepository(self.working)
        self.content = MemoryContentStore(self.working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None  # an uncommitted working copy is simply dropped

    def emit(
        self,
        envelope: EventEnvelope[Any],
        aggregate_type: str,
        aggregate_id: str,
        event_key: str | None = None,
    ) -> None:
        key = event_key or aggregate_id
        self.working.events.append(RecordedEvent(envelope, aggregate_type, aggregate_id, key))

    async def commit(self) -> None:
        self.shared.batches = self.working.batches
        self.shared.files = self.working.files
        self.shared.content = self.working.content
        self.shared.events.extend(self.working.events)
        await self.__aenter__()  # keep working on a fresh copy, as a new transaction would

    async def rollback(self) -> None:
        await self.__aenter__()


class MemoryUnitOfWorkFactory:
    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()

    def __call__(self) -> UnitOfWork:
        return MemoryUnitOfWork(self.state)


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class CountingSignal:
    def __init__(self) -> None:
        self.notified = 0

    async def notify(self) -> None:
        self.notified += 1

    async def wait(self, timeout_seconds: float) -> bool:
        return False
