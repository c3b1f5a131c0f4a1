"""The worker's use case: claim due files, extract their text off the event loop, and commit
each file's final status together with its events."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from uuid import UUID, uuid4

from common_core.domain_enums import ContentType
from common_core.error_enums import FileValidationErrorCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.redis import Notifier
from services.file_service.domain.documents import DocumentOutcome, ExtractedText, RejectedText
from services.file_service.domain.model import EssayFile
from services.file_service.handlers.events import (
    emit_provisioned,
    emit_validation_failed,
    file_notification,
    validation_code,
)
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import (
    ExtractorUnavailableError,
    TextExtractor,
    UnitOfWork,
    UnitOfWorkFactory,
)

logger = create_service_logger(__name__)


@dataclass(frozen=True)
class ProcessingPolicy:
    lease_seconds: float = 180.0
    max_attempts: int = 3
    claim_batch: int = 8


@dataclass
class ProcessFiles:
    uow: UnitOfWorkFactory
    clock: Clock
    extractor: TextExtractor
    policy: ProcessingPolicy
    metrics: FileMetrics
    notifier: Notifier
    # The key of a liveness lock this process holds, recorded on every claim so that the
    # claims are freed the moment the process dies.
    claimer_lock_key: int | None = None

    async def run_once(self) -> int:
        """Claims up to one batch of due files and brings each to an end; the number claimed."""
        token, claimed = await self.claim(self.policy.claim_batch)
        await asyncio.gather(*(self.process(file, token) for file in claimed))
        return len(claimed)

    async def claim(self, limit: int) -> tuple[UUID, list[EssayFile]]:
        token = uuid4()
        now = self.clock.now()
        until = now + timedelta(seconds=self.policy.lease_seconds)
        async with self.uow() as uow:
            files = await uow.files.claim_due(now, until, token, limit, self.claimer_lock_key)
            await uow.commit()
        return token, files

    async def process(self, file: EssayFile, token: UUID) -> None:
        """Never raises: on a failure the claim simply expires and the file is taken again."""
        try:
            outcome = await self._outcome(file)
            if outcome is None:
                await self._release(file.file_upload_id, token)
            else:
                await self._finish(file.file_upload_id, token, outcome)
        except Exception as error:
            logger.error(
                "processing failed", file_upload_id=str(file.file_upload_id), exc_info=error
            )

    async def _outcome(self, file: EssayFile) -> DocumentOutcome | None:
        if file.attempts > self.policy.max_attempts:
            return RejectedText(
                FileValidationErrorCode.TEXT_EXTRACTION_FAILED,
                f"The file could not be processed in {self.policy.max_attempts} attempts",
                {"reason": "attempts_exhausted", "attempts": self.policy.max_attempts},
            )
        async with self.uow() as uow:
            raw = await uow.content.get(file.raw_storage_id)
        if raw is None:
            raise LookupError(f"raw upload {file.raw_storage_id} is missing from the store")
        return await self._extract(raw.data, file)

    async def _extract(self, data: bytes, file: EssayFile) -> DocumentOutcome | None:
        started = time.perf_counter()
        try:
            outcome = await self.extractor.extract(data, file.file_format)
        except ExtractorUnavailableError:
            self.metrics.files_released.inc()
            return None
        elapsed = time.perf_counter() - started
        self.metrics.extraction_seconds.labels(file.file_format.value).observe(elapsed)
        return outcome

    async def _finish(self, file_upload_id: UUID, token: UUID, outcome: DocumentOutcome) -> None:
        async with self.uow() as uow:
            file = await uow.files.get_for_update(file_upload_id)
            if file is None or not file.is_claimed_by(token):
                logger.warning("claim lost; outcome dropped", file_upload_id=str(file_upload_id))
                return
            await self._record(uow, file, outcome)
            await uow.files.save(file)
            uow.after_commit(
                partial(self.notifier.send, file_notification("batch_file_added", file))
            )
            await uow.commit()
        self.metrics.files_processed.labels(file.file_format.value, file.status.value).inc()

    async def _record(self, uow: UnitOfWork, file: EssayFile, outcome: DocumentOutcome) -> None:
        now = self.clock.now()
        if isinstance(outcome, ExtractedText):
            text = await uow.content.put(ContentType.EXTRACTED_TEXT, outcome.text.encode())
            batch = await uow.batches.get(file.batch_id)
            if batch is None:
                raise LookupError(f"batch {file.batch_id} of a claimed file is missing")
            file.provision(text.storage_id, outcome.char_count, now)
            emit_provisioned(uow, batch, file)
        else:
            file.fail(validation_code(outcome), outcome.message, now)
            emit_validation_failed(uow, file, outcome)

    async def _release(self, file_upload_id: UUID, token: UUID) -> None:
        async with self.uow() as uow:
            file = await uow.files.get_for_update(file_upload_id)
            if file is not None and file.is_claimed_by(token):
                file.release()
                await uow.files.save(file)
                await uow.commit()
