"""The essays the file service provisions, learnt from its events (no synchronous call)."""

from __future__ import annotations

from dataclasses import dataclass

from common_core.events.envelope import EventEnvelope
from common_core.events.file import BatchFileRemovedV1, EssayContentProvisionedV1
from services.cj_assessment_service.models_db import Essay
from services.cj_assessment_service.protocols import UnitOfWorkFactory


@dataclass
class RecordProvisionedEssay:
    """Idempotent by the essay's id: a redelivered event inserts nothing."""

    uows: UnitOfWorkFactory

    async def __call__(self, envelope: EventEnvelope[EssayContentProvisionedV1]) -> None:
        async with self.uows() as uow:
            await uow.essays.add_if_new(_essay(envelope.data, envelope))
            await uow.commit()


def _essay(
    event: EssayContentProvisionedV1, envelope: EventEnvelope[EssayContentProvisionedV1]
) -> Essay:
    return Essay(
        essay_id=event.file_upload_id,
        batch_id=event.batch_id,
        owner_user_id=event.owner_user_id,
        course_code=event.course_code.value,
        class_id=event.class_id,
        original_file_name=event.original_file_name,
        text_storage_id=event.text_storage_id,
        text_char_count=event.text_char_count,
        provisioned_at=envelope.event_timestamp,
        removed_at=None,
    )


@dataclass
class RecordRemovedEssay:
    uows: UnitOfWorkFactory

    async def __call__(self, envelope: EventEnvelope[BatchFileRemovedV1]) -> None:
        async with self.uows() as uow:
            await uow.essays.mark_removed(envelope.data.file_upload_id, envelope.event_timestamp)
            await uow.commit()
