"""Creating batches, and what a teacher sees of them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from uuid import UUID, uuid4

from common_core.courses import CourseCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.correlation import CorrelationContext
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.handlers.support import owned_batch
from services.file_service.protocols import Page, UnitOfWorkFactory


@dataclass(frozen=True)
class NewBatch:
    title: str
    course_code: CourseCode
    class_id: UUID | None = None


@dataclass(frozen=True)
class BatchState:
    batch: Batch
    files: list[EssayFile]

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(file.status for file in self.files)
        return {"total": len(self.files), **{status.value: tally[status] for status in FileStatus}}


@dataclass
class CreateBatch:
    uow: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, owner_user_id: str, new: NewBatch) -> Batch:
        batch = Batch(
            batch_id=uuid4(),
            owner_user_id=owner_user_id,
            title=new.title,
            course_code=new.course_code,
            class_id=new.class_id,
            created_at=self.clock.now(),
        )
        async with self.uow() as uow:
            await uow.batches.add(batch)
            await uow.commit()
        return batch


@dataclass
class BatchQueries:
    uow: UnitOfWorkFactory

    async def list(self, owner_user_id: str, page: Page) -> tuple[list[Batch], int]:
        async with self.uow() as uow:
            return await uow.batches.list_for_owner(owner_user_id, page)

    async def state(
        self, owner_user_id: str, batch_id: UUID, corr: CorrelationContext
    ) -> BatchState:
        async with self.uow() as uow:
            batch = await owned_batch(uow.batches, owner_user_id, batch_id, corr, "get_batch")
            return BatchState(batch, await uow.files.list_for_batch(batch_id))
