"""Locking a batch once its assessment has started (on the CJ service's CJAssessmentStartedV1)."""

from __future__ import annotations

from uuid import UUID

from huleedu_service_libs.logging_utils import create_service_logger
from services.file_service.protocols import Clock, UnitOfWorkFactory

logger = create_service_logger(__name__)


class LockBatch:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def __call__(self, batch_id: UUID, assessment_id: UUID) -> bool:
        """True when this call locked the batch; a redelivered event changes nothing."""
        async with self.uow() as uow:
            batch = await uow.batches.get_for_update(batch_id)
            if batch is None:
                logger.warning("assessment started for an unknown batch", batch_id=str(batch_id))
                return False
            if not batch.lock(assessment_id, self.clock.now()):
                return False
            await uow.batches.save(batch)
            await uow.commit()
        logger.info("batch locked", batch_id=str(batch_id), assessment_id=str(assessment_id))
        return True
