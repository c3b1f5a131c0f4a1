"""The use cases as the production container wires them, with its edges swapped by a provider:
in-memory storage, a manual clock, a counting wake-up signal and extraction in a thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from common_core.courses import CourseCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.redis import Notifier
from services.file_service.config import load_file_settings
from services.file_service.di import WorkerProvider
from services.file_service.domain.limits import DocumentLimits
from services.file_service.handlers.batches import BatchQueries, CreateBatch, NewBatch
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.handlers.uploads import IncomingFile, UploadEssays
from services.file_service.implementations.claimer_liveness import (
    ClaimerIdentity,
    ClaimerLiveness,
)
from services.file_service.implementations.extraction import InlineExtractor
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import TextExtractor, UnitOfWorkFactory, WorkSignal
from services.file_service.startup_setup import build_container
from services.file_service.tests.fakes import (
    CountingSignal,
    FileState,
    ManualClock,
    RecordingNotifier,
    memory_units_of_work,
)

TEACHER = "teacher-1"
NO_SERVER = "postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none"  # never connected to


class FakeEdges(Provider):
    scope = Scope.APP

    def __init__(self) -> None:
        super().__init__()
        self.state = FileState()
        self.clock = ManualClock()
        self.signal = CountingSignal()
        self.notifier = RecordingNotifier()

    @provide
    def notifications(self) -> Notifier:
        return self.notifier

    @provide
    def units_of_work(self) -> UnitOfWorkFactory:
        return memory_units_of_work(self.state)

    @provide
    def the_clock(self) -> Clock:
        return self.clock

    @provide
    def work_signal(self) -> WorkSignal:
        return self.signal

    @provide
    def extractor(self, limits: DocumentLimits) -> TextExtractor:
        return InlineExtractor(limits)

    @provide
    def liveness(self, engine: AsyncEngine) -> ClaimerLiveness:
        return ClaimerLiveness(engine, ClaimerIdentity())  # never started: no lock in memory


@dataclass
class Harness:
    state: FileState
    clock: ManualClock
    signal: CountingSignal
    notifier: RecordingNotifier
    metrics: FileMetrics
    create_batch: CreateBatch
    queries: BatchQueries
    upload: UploadEssays
    process: ProcessFiles
    delete: DeleteFile
    lock: LockBatch

    async def new_batch(self, owner: str = TEACHER) -> UUID:
        batch = await self.create_batch(owner, NewBatch("Autumn essays", CourseCode.ENG5))
        return batch.batch_id

    async def upload_one(
        self, batch_id: UUID, data: bytes, name: str = "essay.txt", owner: str = TEACHER
    ) -> UUID:
        files = await self.upload(owner, batch_id, [IncomingFile(name, data)], corr("upload"))
        return files[0].file_upload_id

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


MakeHarness = Callable[..., Awaitable[Harness]]


def corr(original: str = "test") -> CorrelationContext:
    return CorrelationContext.from_header(original)


async def _harness(container: AsyncContainer, edges: FakeEdges) -> Harness:
    return Harness(
        state=edges.state,
        clock=edges.clock,
        signal=edges.signal,
        notifier=edges.notifier,
        metrics=await container.get(FileMetrics),
        create_batch=await container.get(CreateBatch),
        queries=await container.get(BatchQueries),
        upload=await container.get(UploadEssays),
        process=await container.get(ProcessFiles),
        delete=await container.get(DeleteFile),
        lock=await container.get(LockBatch),
    )


@pytest.fixture
async def make_harness() -> AsyncIterator[MakeHarness]:
    """`await make_harness(**settings)`: a harness on the worker's container with these settings."""
    engine = create_async_engine(NO_SERVER)
    containers: list[AsyncContainer] = []

    async def make(**settings: Any) -> Harness:
        edges = FakeEdges()
        values = load_file_settings(DATABASE_URL=NO_SERVER, **settings)
        containers.append(build_container(values, engine, WorkerProvider(), edges, http=False))
        return await _harness(containers[-1], edges)

    yield make
    for container in containers:
        await container.close()
    await engine.dispose()


@pytest.fixture
async def harness(make_harness: MakeHarness) -> Harness:
    return await make_harness()
