"""Request and response bodies of the teacher API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.handlers.batches import BatchState

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CreateBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    course_code: CourseCode
    class_id: UUID | None = None


class PageArgs(BaseModel):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


class BatchSummary(BaseModel):
    batch_id: UUID
    title: str
    course_code: CourseCode
    class_id: UUID | None
    created_at: datetime
    locked: bool
    locked_at: datetime | None

    @classmethod
    def of(cls, batch: Batch) -> BatchSummary:
        return cls(
            batch_id=batch.batch_id,
            title=batch.title,
            course_code=batch.course_code,
            class_id=batch.class_id,
            created_at=batch.created_at,
            locked=batch.is_locked,
            locked_at=batch.locked_at,
        )


class BatchPage(BaseModel):
    items: list[BatchSummary]
    page: int
    page_size: int
    total: int


class FileView(BaseModel):
    file_upload_id: UUID
    file_name: str
    file_format: FileFormat
    file_size_bytes: int
    status: FileStatus
    text_storage_id: str | None
    text_char_count: int | None
    validation_error_code: FileValidationErrorCode | None
    validation_message: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, file: EssayFile) -> FileView:
        return cls(
            file_upload_id=file.file_upload_id,
            file_name=file.file_name,
            file_format=file.file_format,
            file_size_bytes=file.size_bytes,
            status=file.status,
            text_storage_id=file.text_storage_id,
            text_char_count=file.text_char_count,
            validation_error_code=file.validation_error_code,
            validation_message=file.validation_message,
            created_at=file.created_at,
            completed_at=file.completed_at,
        )


class BatchCounts(BaseModel):
    total: int
    pending: int
    processing: int
    provisioned: int
    validation_failed: int


class BatchStateResponse(BatchSummary):
    files: list[FileView]
    counts: BatchCounts

    @classmethod
    def of_state(cls, state: BatchState) -> BatchStateResponse:
        summary = BatchSummary.of(state.batch).model_dump()
        files = [FileView.of(file) for file in state.files]
        return cls(**summary, files=files, counts=BatchCounts(**state.counts))


class UploadResponse(BaseModel):
    batch_id: UUID
    files: list[FileView]
