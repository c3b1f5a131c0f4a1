from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pytest
from prometheus_client import CollectorRegistry

from common_core.courses import CourseCode
from huleedu_service_libs.correlation import CorrelationContext
from services.file_service.domain.limits import DocumentLimits, UploadLimits
from services.file_service.handlers.batches import BatchQueries, CreateBatch, NewBatch
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles, ProcessingPolicy
from services.file_service.handlers.uploads import IncomingFile, UploadEssays
from services.file_service.implementations.extraction import InlineExtractor
from services.file_service.metrics import FileMetrics
from services.file_service.tests.fakes import (
    CountingSignal,
    ManualClock,
    MemoryState,
    MemoryUnitOfWorkFactory,
)

TEACHER = "teacher-1"


@dataclass
class Harness:
    state: MemoryState
    clock: ManualClock
    signal: CountingSignal
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


def corr(original: str = "test") -> CorrelationContext:
    return CorrelationContext.from_header(original)


def build_harness(
    upload_limits: UploadLimits | None = None,
    document_limits: DocumentLimits | None = None,
    policy: ProcessingPolicy | None = None,
) -> Harness:
    state = MemoryState()
    uow = MemoryUnitOfWorkFactory(state)
    clock = ManualClock()
    signal = CountingSignal()
    metrics = FileMetrics(CollectorRegistry())
    limits = document_limits or DocumentLimits()
    return Harness(
        state=state,
        clock=clock,
        signal=signal,
        metrics=metrics,
        create_batch=CreateBatch(uow, clock),
        queries=BatchQueries(uow),
        upload=UploadEssays(uow, clock, upload_limits or UploadLimits(), limits, signal, metrics),
        process=ProcessFiles(
            uow, clock, InlineExtractor(limits), policy or ProcessingPolicy(), metrics
        ),
        delete=DeleteFile(uow),
        lock=LockBatch(uow, clock),
    )


@pytest.fixture
def harness() -> Harness:
    return build_harness()
