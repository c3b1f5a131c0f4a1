"""Locking a batch once its assessment has started (on the CJ service's CJAssessmentStartedV1)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from common_core.events.cj import CJAssessmentStartedV1
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.logging_utils import create_service_logger
from services.file_service.protocols import UnitOfWorkFactory

logger = create_service_logger(__name__)


@dataclass
class LockBatch:
    uow: UnitOfWorkFactory
    clock: Clock

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


@dataclass
class OnAssessmentStarted:
    """The lock consumer's handler (the payload's type is checked by its subscription)."""

    lock: LockBatch

    async def __call__(self, envelope: EventEnvelope[CJAssessmentStartedV1]) -> None:
        await self.lock(envelope.data.batch_id, envelope.data.assessment_id)
