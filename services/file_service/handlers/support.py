"""What every handler shares: refusing with an ErrorDetail, and finding the caller's batch."""

from __future__ import annotations

from typing import Any, NoReturn
from uuid import UUID

from common_core.error_enums import AnyErrorCode, ErrorCode, FileValidationErrorCode
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.error_handling import raise_error
from services.file_service.config import SERVICE_NAME
from services.file_service.domain.model import Batch
from services.file_service.domain.refusals import Refusal
from services.file_service.protocols import BatchRepository


def refuse(
    code: AnyErrorCode, message: str, corr: CorrelationContext, operation: str, **details: Any
) -> NoReturn:
    raise_error(code, SERVICE_NAME, operation, message, corr.uuid, corr.original, **details)


def refuse_with(refusal: Refusal, corr: CorrelationContext, operation: str) -> NoReturn:
    refuse(refusal.code, refusal.message, corr, operation, **refusal.details)


async def owned_batch(
    batches: BatchRepository,
    owner_user_id: str,
    batch_id: UUID,
    corr: CorrelationContext,
    operation: str,
    *,
    lock: str | None = None,
) -> Batch:
    """The caller's batch; another user's batch is as absent as a missing one (404)."""
    loaders = {None: batches.get, "share": batches.get_for_share, "update": batches.get_for_update}
    batch = await loaders[lock](batch_id)
    if batch is None or batch.owner_user_id != owner_user_id:
        refuse(
            ErrorCode.RESOURCE_NOT_FOUND, "Batch not found", corr, operation, batch_id=str(batch_id)
        )
    return batch


def ensure_unlocked(batch: Batch, corr: CorrelationContext, operation: str) -> None:
    if batch.is_locked:
        refuse(
            FileValidationErrorCode.BATCH_LOCKED,
            "The batch is locked because its assessment has started",
            corr,
            operation,
            batch_id=str(batch.batch_id),
            locked_at=batch.locked_at.isoformat() if batch.locked_at else None,
        )
