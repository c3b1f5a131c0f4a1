"""Accepting uploaded essays: refused whole, or stored whole and queued for the worker."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from common_core.domain_enums import ContentType, FileFormat
from common_core.error_enums import ErrorCode, FileValidationErrorCode
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.error_handling import HuleEduError
from services.file_service.domain.documents import screen_document
from services.file_service.domain.file_names import sanitise_file_name
from services.file_service.domain.limits import DocumentLimits, UploadLimits
from services.file_service.domain.model import Batch, EssayFile
from services.file_service.domain.refusals import Refusal
from services.file_service.handlers.support import ensure_unlocked, owned_batch, refuse_with
from services.file_service.metrics import FileMetrics
from services.file_service.protocols import (
    DuplicateFileError,
    UnitOfWork,
    UnitOfWorkFactory,
    WorkSignal,
)

OPERATION = "upload_files"


@dataclass(frozen=True)
class IncomingFile:
    name: str | None
    data: bytes


@dataclass(frozen=True)
class ScreenedFile:
    name: str
    data: bytes
    file_format: FileFormat
    sha256: str
    md5: str


def check_request(files: Sequence[IncomingFile], limits: UploadLimits) -> None:
    if not files:
        raise Refusal(
            ErrorCode.VALIDATION_ERROR, "No files in the request: send them as multipart parts"
        )
    if len(files) > limits.max_files_per_request:
        raise Refusal(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"At most {limits.max_files_per_request} files per request",
            limit="files_per_request",
            max_files=limits.max_files_per_request,
            received=len(files),
        )
    for file in files:
        if len(file.data) > limits.max_file_bytes:
            raise Refusal(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"A file may be at most {limits.max_file_bytes} bytes",
                limit="file_size",
                file_name=sanitise_file_name(file.name),
                size_bytes=len(file.data),
                max_file_bytes=limits.max_file_bytes,
            )


def screen_all(files: Sequence[IncomingFile], limits: DocumentLimits) -> list[ScreenedFile]:
    """CPU-bound and pure: run it off the event loop."""
    screened: dict[str, ScreenedFile] = {}
    for file in files:
        item = _screen(file, limits)
        if item.sha256 in screened:
            raise _duplicate(item.name, screened[item.sha256].name)
        screened[item.sha256] = item
    return list(screened.values())


def _screen(file: IncomingFile, limits: DocumentLimits) -> ScreenedFile:
    name = sanitise_file_name(file.name)
    try:
        file_format = screen_document(file.data, limits)
    except Refusal as refusal:
        raise refusal.with_details(file_name=name) from None
    return ScreenedFile(
        name=name,
        data=file.data,
        file_format=file_format,
        sha256=hashlib.sha256(file.data).hexdigest(),
        md5=hashlib.md5(file.data, usedforsecurity=False).hexdigest(),
    )


def _name_of(screened: list[ScreenedFile], sha256: str) -> str:
    return next((item.name for item in screened if item.sha256 == sha256), screened[0].name)


def _duplicate(file_name: str, same_as: str | None = None) -> Refusal:
    details = {"file_name": file_name} | ({"same_as": same_as} if same_as else {})
    return Refusal(
        FileValidationErrorCode.DUPLICATE_FILE,
        "The batch already holds a file with exactly these bytes",
        **details,
    )


@dataclass
class UploadEssays:
    uow: UnitOfWorkFactory
    clock: Clock
    upload_limits: UploadLimits
    document_limits: DocumentLimits
    signal: WorkSignal
    metrics: FileMetrics

    async def __call__(
        self,
        owner_user_id: str,
        batch_id: UUID,
        files: Sequence[IncomingFile],
        corr: CorrelationContext,
    ) -> list[EssayFile]:
        try:
            accepted = await self._accept(owner_user_id, batch_id, files, corr)
        except Refusal as refusal:
            self.metrics.uploads_refused.labels(str(refusal.code)).inc()
            refuse_with(refusal, corr, OPERATION)
        except HuleEduError as error:
            self.metrics.uploads_refused.labels(str(error.error_code)).inc()
            raise
        await self.signal.notify()
        return accepted

    async def _accept(
        self,
        owner_user_id: str,
        batch_id: UUID,
        files: Sequence[IncomingFile],
        corr: CorrelationContext,
    ) -> list[EssayFile]:
        check_request(files, self.upload_limits)
        async with self.uow() as uow:  # a missing or locked batch is refused before any parsing
            batch = await owned_batch(uow.batches, owner_user_id, batch_id, corr, OPERATION)
            ensure_unlocked(batch, corr, OPERATION)
        screened = await asyncio.to_thread(screen_all, files, self.document_limits)
        return await self._store(owner_user_id, batch_id, screened, corr)

    async def _store(
        self,
        owner_user_id: str,
        batch_id: UUID,
        screened: list[ScreenedFile],
        corr: CorrelationContext,
    ) -> list[EssayFile]:
        async with self.uow() as uow:
            batch = await owned_batch(
                uow.batches, owner_user_id, batch_id, corr, OPERATION, lock="share"
            )
            ensure_unlocked(batch, corr, OPERATION)
            await self._refuse_duplicates(uow, batch_id, screened)
            try:
                stored = [await self._add(uow, batch, item, corr) for item in screened]
                await uow.commit()
            except DuplicateFileError as error:  # a concurrent upload of the same bytes won
                raise _duplicate(_name_of(screened, error.sha256)) from None
        for file in stored:
            self.metrics.files_accepted.labels(file.file_format.value).inc()
        return stored

    @staticmethod
    async def _refuse_duplicates(
        uow: UnitOfWork, batch_id: UUID, screened: list[ScreenedFile]
    ) -> None:
        existing = await uow.files.hashes_in_batch(batch_id)
        for item in screened:
            if item.sha256 in existing:
                raise _duplicate(item.name)

    async def _add(
        self, uow: UnitOfWork, batch: Batch, item: ScreenedFile, corr: CorrelationContext
    ) -> EssayFile:
        raw = await uow.content.put(ContentType.RAW_UPLOAD, item.data)
        file = EssayFile(
            file_upload_id=uuid4(),
            batch_id=batch.batch_id,
            owner_user_id=batch.owner_user_id,
            file_name=item.name,
            file_format=item.file_format,
            size_bytes=len(item.data),
            md5=item.md5,
            sha256=item.sha256,
            raw_storage_id=raw.storage_id,
            correlation_id=corr.uuid,
            original_correlation_id=corr.original,
            created_at=self.clock.now(),
        )
        await uow.files.add(file)
        return file
