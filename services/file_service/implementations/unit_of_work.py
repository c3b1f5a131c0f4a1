"""The file service's unit of work: the library's, with this service's repositories and the
content store in use (a table inside the transaction, or a directory beside it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huleedu_service_libs.events import EnvelopeFactory
from huleedu_service_libs.outbox import OutboxManager
from huleedu_service_libs.unit_of_work import SqlUnitOfWork
from services.file_service.implementations.sql_repositories import (
    SqlBatchRepository,
    SqlFileRepository,
)
from services.file_service.protocols import BatchRepository, ContentStore, FileRepository

ContentStoreFactory = Callable[[AsyncSession], ContentStore]


class FileUnitOfWork(SqlUnitOfWork):
    batches: BatchRepository
    files: FileRepository
    content: ContentStore

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        envelopes: EnvelopeFactory,
        content_store: ContentStoreFactory,
    ) -> None:
        super().__init__(sessions, outbox, envelopes)
        self._content_store = content_store

    def attach(self, session: AsyncSession) -> None:
        self.batches = SqlBatchRepository(session)
        self.files = SqlFileRepository(session)
        self.content = self._content_store(session)
