"""Batches and the essay files uploaded into them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode


class FileStatus(StrEnum):
    PENDING = "pending"  # accepted and stored, waiting for the worker
    PROCESSING = "processing"  # claimed by a worker until `claimed_until`
    PROVISIONED = "provisioned"
    VALIDATION_FAILED = "validation_failed"

    @property
    def is_final(self) -> bool:
        return self in (FileStatus.PROVISIONED, FileStatus.VALIDATION_FAILED)


@dataclass
class Batch:
    batch_id: UUID
    owner_user_id: str
    title: str
    course_code: CourseCode
    class_id: UUID | None
    created_at: datetime
    locked_at: datetime | None = None
    locking_assessment_id: UUID | None = None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def lock(self, assessment_id: UUID, now: datetime) -> bool:
        """True when this call locked it; locking a locked batch changes nothing."""
        if self.is_locked:
            return False
        self.locked_at = now
        self.locking_assessment_id = assessment_id
        return True


@dataclass
class EssayFile:
    file_upload_id: UUID
    batch_id: UUID
    owner_user_id: str
    file_name: str
    file_format: FileFormat
    size_bytes: int
    md5: str
    sha256: str
    raw_storage_id: str
    correlation_id: UUID
    original_correlation_id: str | None
    created_at: datetime
    status: FileStatus = FileStatus.PENDING
    attempts: int = 0
    claim_token: UUID | None = None
    claimed_until: datetime | None = None
    text_storage_id: str | None = None
    text_char_count: int | None = None
    validation_error_code: FileValidationErrorCode | None = None
    validation_message: str | None = None
    completed_at: datetime | None = None

    def is_claimed_by(self, token: UUID) -> bool:
        return self.status is FileStatus.PROCESSING and self.claim_token == token

    def provision(self, text_storage_id: str, char_count: int, now: datetime) -> None:
        self.status = FileStatus.PROVISIONED
        self.text_storage_id = text_storage_id
        self.text_char_count = char_count
        self._finish(now)

    def fail(self, code: FileValidationErrorCode, message: str, now: datetime) -> None:
        self.status = FileStatus.VALIDATION_FAILED
        self.validation_error_code = code
        self.validation_message = message
        self._finish(now)

    def release(self) -> None:
        """Give the claim back so that any worker may take the file at once."""
        self.status = FileStatus.PENDING
        self.claim_token = None
        self.claimed_until = None

    def _finish(self, now: datetime) -> None:
        self.completed_at = now
        self.claim_token = None
        self.claimed_until = None
