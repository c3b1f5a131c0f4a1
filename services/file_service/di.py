"""Dishka providers, small and grouped by what they wire. Everything here lives for the process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from dishka import Provider, Scope, from_context, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.outbox import (
    EventRelayWorker,
    OutboxManager,
    RelayWakeup,
    outbox_settings_for,
)
from huleedu_service_libs.outbox.metrics import outbox_metrics
from services.file_service.config import SERVICE_NAME, ContentStoreKind, Settings
from services.file_service.domain.limits import DocumentLimits, UploadLimits
from services.file_service.handlers.batches import BatchQueries, CreateBatch
from services.file_service.handlers.content import ReadContent
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles, ProcessingPolicy
from services.file_service.handlers.support import SystemClock
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
    SqlUnitOfWorkFactory,
)
from services.file_service.implementations.work_signal import RedisWorkSignal
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import Clock, TextExtractor, UnitOfWorkFactory, WorkSignal

REDIS_CONNECT_TIMEOUT = 2.0


def content_store_factory(settings: Settings) -> ContentStoreFactory:
    if settings.CONTENT_STORE is ContentStoreKind.DIRECTORY:
        store = DirectoryContentStore(settings.CONTENT_STORE_DIR)
        return lambda _session: store
    return TableContentStore


class InfrastructureProvider(Provider):
    """Settings, the engine and the metrics registry come from the factory of the container."""

    scope = Scope.APP
    settings = from_context(provides=Settings)
    engine = from_context(provides=AsyncEngine)
    registry = from_context(provides=CollectorRegistry)

    @provide
    def sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(engine, expire_on_commit=False)

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        # No read timeout: the relay and the worker block in BLPOP with their own timeouts, and
        # notifications are sent in the background, so no request ever waits on Redis.
        client = Redis.from_url(
            settings.REDIS_URL, decode_responses=True, socket_connect_timeout=REDIS_CONNECT_TIMEOUT
        )
        yield client
        await client.aclose()

    @provide
    def clock(self) -> Clock:
        return SystemClock()

    @provide
    def metrics(self, registry: CollectorRegistry) -> FileMetrics:
        return FileMetrics(registry)

    @provide
    def work_signal(self, redis: Redis, settings: Settings) -> WorkSignal:
        return RedisWorkSignal(redis, settings.WORK_WAKE_KEY)


class StorageProvider(Provider):
    scope = Scope.APP

    @provide
    def content_store(self, settings: Settings) -> ContentStoreFactory:
        return content_store_factory(settings)

    @provide
    def wakeup(self, redis: Redis) -> RelayWakeup:
        return RelayWakeup(redis, SERVICE_NAME)

    @provide
    def outbox(self, wakeup: RelayWakeup) -> OutboxManager:
        return OutboxManager(wakeup)

    @provide
    def units_of_work(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: OutboxManager,
        content_store: ContentStoreFactory,
    ) -> UnitOfWorkFactory:
        return SqlUnitOfWorkFactory(sessions, outbox, content_store)


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


class WorkerProvider(Provider):
    """What only the worker process runs: extraction, processing, the relay and Kafka."""

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
        liveness: ClaimerLiveness,
    ) -> ProcessFiles:
        return ProcessFiles(uow, clock, extractor, policy, metrics, liveness.identity.lock_key)

    @provide
    async def kafka_bus(self, settings: Settings) -> AsyncIterator[KafkaBus]:
        bus = KafkaBus(
            settings.KAFKA_BOOTSTRAP_SERVERS,
            client_id=SERVICE_NAME,
            enable_idempotence=settings.KAFKA_ENABLE_IDEMPOTENCE,
        )
        await bus.start()
        yield bus
        await bus.stop()

    @provide
    def relay(
        self,
        engine: AsyncEngine,
        bus: KafkaBus,
        wakeup: RelayWakeup,
        settings: Settings,
        registry: CollectorRegistry,
    ) -> EventRelayWorker:
        return EventRelayWorker(
            engine,
            bus,
            SERVICE_NAME,
            outbox_settings_for(settings.ENVIRONMENT),
            wakeup=wakeup,
            metrics=outbox_metrics(registry),
        )


def service_providers() -> list[Provider]:
    return [InfrastructureProvider(), StorageProvider(), LimitsProvider(), HandlerProvider()]
