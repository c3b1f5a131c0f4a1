"""The file service's own Dishka providers (the library's give settings, the engine, sessions,
Redis, the envelope factory, the outbox writer, the clock, Kafka and the relay). Everything here
lives for the process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.clock import Clock
from huleedu_service_libs.redis import Notifier, RedisNotifier
from huleedu_service_libs.unit_of_work import SqlTransactions
from services.file_service.config import SERVICE_NAME, ContentStoreKind, Settings
from services.file_service.domain.limits import DocumentLimits, UploadLimits
from services.file_service.handlers.batches import BatchQueries, CreateBatch
from services.file_service.handlers.content import ReadContent
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.locking import LockBatch, OnAssessmentStarted
from services.file_service.handlers.processing import ProcessFiles, ProcessingPolicy
from services.file_service.handlers.uploads import UploadEssays
from services.file_service.implementations.claimer_liveness import (
    ClaimerIdentity,
    ClaimerLiveness,
)
from services.file_service.implementations.content_stores import (
    DirectoryContentStore,
    TableContentStore,
)
from services.file_service.implementations.extraction import ProcessPoolExtractor
from services.file_service.implementations.unit_of_work import (
    ContentStoreFactory,
    FileUnitOfWork,
)
from services.file_service.implementations.work_signal import RedisWorkSignal
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import TextExtractor, UnitOfWorkFactory, WorkSignal


def content_store_factory(settings: Settings) -> ContentStoreFactory:
    if settings.CONTENT_STORE is ContentStoreKind.DIRECTORY:
        store = DirectoryContentStore(settings.CONTENT_STORE_DIR)
        return lambda _session: store
    return TableContentStore


class StorageProvider(Provider):
    scope = Scope.APP

    @provide
    def content_store(self, settings: Settings) -> ContentStoreFactory:
        return content_store_factory(settings)

    @provide
    def units_of_work(
        self, transactions: SqlTransactions, content_store: ContentStoreFactory
    ) -> UnitOfWorkFactory:
        return transactions.factory_of(FileUnitOfWork, content_store)

    @provide
    def metrics(self, registry: CollectorRegistry) -> FileMetrics:
        return FileMetrics(registry)

    @provide
    def notifier(self, redis: Redis, settings: Settings, registry: CollectorRegistry) -> Notifier:
        return RedisNotifier(redis, SERVICE_NAME, settings.NOTIFICATION_TIMEOUT_SECONDS, registry)

    @provide
    def work_signal(self, redis: Redis, settings: Settings) -> WorkSignal:
        return RedisWorkSignal(redis, settings.WORK_WAKE_KEY)


class LimitsProvider(Provider):
    scope = Scope.APP

    @provide
    def document_limits(self, settings: Settings) -> DocumentLimits:
        return DocumentLimits(
            max_docx_uncompressed_bytes=settings.MAX_DOCX_UNCOMPRESSED_BYTES,
            max_docx_entries=settings.MAX_DOCX_ENTRIES,
            max_pdf_pages=settings.MAX_PDF_PAGES,
            min_text_chars=settings.MIN_TEXT_CHARS,
            max_text_chars=settings.MAX_TEXT_CHARS,
        )

    @provide
    def upload_limits(self, settings: Settings) -> UploadLimits:
        return UploadLimits(settings.MAX_FILE_BYTES, settings.MAX_FILES_PER_REQUEST)


class HandlerProvider(Provider):
    scope = Scope.APP

    create_batch = provide(CreateBatch)
    queries = provide(BatchQueries)
    upload = provide(UploadEssays)
    delete = provide(DeleteFile)
    content = provide(ReadContent)
    lock = provide(LockBatch)
    on_assessment_started = provide(OnAssessmentStarted)


class WorkerProvider(Provider):
    """What only the worker process runs: extraction, the liveness lock and processing."""

    scope = Scope.APP

    @provide
    def extractor(self, settings: Settings, limits: DocumentLimits) -> Iterator[TextExtractor]:
        pool = ProcessPoolExtractor(
            limits,
            processes=settings.EXTRACTION_PROCESSES,
            timeout_seconds=settings.EXTRACTION_TIMEOUT_SECONDS,
            memory_limit_bytes=settings.EXTRACTION_MEMORY_LIMIT_BYTES,
            niceness=settings.EXTRACTION_NICENESS,
        )
        pool.start()
        yield pool
        pool.stop()

    @provide
    def policy(self, settings: Settings) -> ProcessingPolicy:
        return ProcessingPolicy(
            lease_seconds=settings.PROCESSING_LEASE_SECONDS,
            max_attempts=settings.PROCESSING_MAX_ATTEMPTS,
            claim_batch=settings.PROCESSING_CONCURRENCY,
        )

    @provide
    async def liveness(self, engine: AsyncEngine) -> AsyncIterator[ClaimerLiveness]:
        liveness = ClaimerLiveness(engine, ClaimerIdentity())
        await liveness.start()
        yield liveness
        await liveness.stop()

    @provide
    def process(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        extractor: TextExtractor,
        policy: ProcessingPolicy,
        metrics: FileMetrics,
        notifier: Notifier,
        liveness: ClaimerLiveness,
    ) -> ProcessFiles:
        lock_key = liveness.identity.lock_key
        return ProcessFiles(uow, clock, extractor, policy, metrics, notifier, lock_key)


def service_providers() -> list[Provider]:
    return [StorageProvider(), LimitsProvider(), HandlerProvider()]
