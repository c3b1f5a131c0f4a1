"""Ports at the real seams: storage (PostgreSQL or in memory), the content store (table,
directory or in memory), text extraction (process pool or inline), wake-ups. The clock is the
library's (huleedu_service_libs.clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from common_core.domain_enums import ContentType, FileFormat
from huleedu_service_libs.unit_of_work import UnitOfWork as KitUnitOfWork
from services.file_service.domain.documents import DocumentOutcome
from services.file_service.domain.model import Batch, EssayFile


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int


class BatchRepository(Protocol):
    async def add(self, batch: Batch) -> None: ...
    async def get(self, batch_id: UUID) -> Batch | None: ...
    async def get_for_share(self, batch_id: UUID) -> Batch | None:
        """Held until commit: a lock cannot land while files are being added."""
        ...

    async def get_for_update(self, batch_id: UUID) -> Batch | None: ...
    async def save(self, batch: Batch) -> None: ...
    async def list_for_owner(self, owner_user_id: str, page: Page) -> tuple[list[Batch], int]:
        """The page, newest first, and the owner's total."""
        ...


class DuplicateFileError(Exception):
    """The batch already holds a file with these bytes (found by the database's constraint)."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"duplicate content {sha256}")
        self.sha256 = sha256


class FileRepository(Protocol):
    async def add(self, file: EssayFile) -> None:
        """Raises DuplicateFileError when the batch holds the same bytes."""
        ...

    async def get(self, file_upload_id: UUID) -> EssayFile | None: ...
    async def get_for_update(self, file_upload_id: UUID) -> EssayFile | None: ...
    async def list_for_batch(self, batch_id: UUID) -> list[EssayFile]: ...
    async def hashes_in_batch(self, batch_id: UUID) -> set[str]: ...
    async def save(self, file: EssayFile) -> None: ...
    async def delete(self, file_upload_id: UUID) -> None: ...
    async def claim_due(
        self,
        now: datetime,
        claimed_until: datetime,
        token: UUID,
        limit: int,
        claimer_lock_key: int | None = None,
    ) -> list[EssayFile]:
        """Pending files, and files whose claim expired, oldest first: each becomes PROCESSING
        under `token` with one more attempt. Rows other workers are claiming are skipped. A claim
        expires at `claimed_until`, or at once when it carries a `claimer_lock_key` whose
        liveness lock nobody holds any more (its worker died)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredContent:
    storage_id: str
    content_type: ContentType
    size_bytes: int
    md5: str
    data: bytes


class ContentStore(Protocol):
    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        """Content-addressed: putting the same bytes twice stores them once."""
        ...

    async def get(self, storage_id: str) -> StoredContent | None: ...


class UnitOfWork(KitUnitOfWork, Protocol):
    """One transaction (the library's SqlUnitOfWork with this service's repositories, or its
    in-memory twin): repositories never commit; events commit with the state they announce."""

    batches: BatchRepository
    files: FileRepository
    content: ContentStore


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class ExtractorUnavailableError(Exception):
    """The extraction pool broke (not the document's fault): the file is retried later."""


class TextExtractor(Protocol):
    async def extract(self, data: bytes, file_format: FileFormat) -> DocumentOutcome: ...


class WorkSignal(Protocol):
    """Tells the worker that files are waiting; losing a signal only delays them to a poll."""

    async def notify(self) -> None: ...
    async def wait(self, timeout_seconds: float) -> bool: ...
