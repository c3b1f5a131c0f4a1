from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

from common_core.error_enums import ErrorCode
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.redis import Notifier
from services.file_service.domain.model import EssayFile
from services.file_service.handlers.events import emit_removed, file_notification
from services.file_service.handlers.support import ensure_unlocked, owned_batch, refuse
from services.file_service.protocols import UnitOfWorkFactory

OPERATION = "delete_file"


@dataclass
class DeleteFile:
    uow: UnitOfWorkFactory
    notifier: Notifier

    async def __call__(
        self, owner_user_id: str, batch_id: UUID, file_upload_id: UUID, corr: CorrelationContext
    ) -> EssayFile:
        async with self.uow() as uow:
            batch = await owned_batch(
                uow.batches, owner_user_id, batch_id, corr, OPERATION, lock="share"
            )
            ensure_unlocked(batch, corr, OPERATION)
            file = await uow.files.get_for_update(file_upload_id)
            if file is None or file.batch_id != batch_id:
                refuse(
                    ErrorCode.RESOURCE_NOT_FOUND,
                    "File not found",
                    corr,
                    OPERATION,
                    file_upload_id=str(file_upload_id),
                )
            if not file.status.is_final:
                refuse(
                    ErrorCode.CONFLICT,
                    "The file is still being processed; try again shortly",
                    corr,
                    OPERATION,
                    file_upload_id=str(file_upload_id),
                    status=file.status,
                )
            await uow.files.delete(file_upload_id)
            emit_removed(uow, file, corr.uuid)
            notification = file_notification("batch_file_removed", file)
            uow.after_commit(partial(self.notifier.send, notification))
            await uow.commit()
        return file
