"""The events this service publishes, each with an event_id that a retry reproduces.

All four are keyed by the batch id (the outbox's event_key; the Kafka key), so the relay
publishes one batch's events in commit order.
A file's two possible outcomes share one event_id namespace: a file can only ever have one.
"""

from __future__ import annotations

from uuid import UUID

from common_core.error_enums import FileValidationErrorCode
from common_core.events.base import EventPayload
from common_core.events.envelope import deterministic_event_id
from common_core.events.file import (
    BatchFileAddedV1,
    BatchFileRemovedV1,
    EssayContentProvisionedV1,
    EssayValidationFailedV1,
)
from common_core.models.error_models import ErrorDetail
from huleedu_service_libs.redis import Notification
from services.file_service.config import SERVICE_NAME
from services.file_service.domain.documents import RejectedText
from services.file_service.domain.model import Batch, EssayFile
from services.file_service.protocols import UnitOfWork

BATCH_AGGREGATE = "file_batch"
FILE_AGGREGATE = "file_upload"
OUTCOME_NAMESPACE = "file_service.essay_outcome"
ADDED_NAMESPACE = "file_service.batch_file_added"
REMOVED_NAMESPACE = "file_service.batch_file_removed"
PROCESS_OPERATION = "process_file"


def emit_provisioned(uow: UnitOfWork, batch: Batch, file: EssayFile) -> None:
    if file.text_storage_id is None or file.text_char_count is None:
        raise ValueError("only a provisioned file announces its content")
    payload = EssayContentProvisionedV1(
        batch_id=batch.batch_id,
        file_upload_id=file.file_upload_id,
        owner_user_id=batch.owner_user_id,
        course_code=batch.course_code,
        class_id=batch.class_id,
        original_file_name=file.file_name,
        file_format=file.file_format,
        raw_file_storage_id=file.raw_storage_id,
        text_storage_id=file.text_storage_id,
        file_size_bytes=file.size_bytes,
        file_md5=file.md5,
        text_char_count=file.text_char_count,
    )
    _emit_outcome(uow, payload, file)


def emit_validation_failed(uow: UnitOfWork, file: EssayFile, rejection: RejectedText) -> None:
    payload = EssayValidationFailedV1(
        batch_id=file.batch_id,
        file_upload_id=file.file_upload_id,
        owner_user_id=file.owner_user_id,
        original_file_name=file.file_name,
        raw_file_storage_id=file.raw_storage_id,
        file_size_bytes=file.size_bytes,
        validation_error_code=validation_code(rejection),
        error_detail=ErrorDetail(
            error_code=rejection.code,
            message=rejection.message,
            correlation_id=file.correlation_id,
            original_correlation_id=file.original_correlation_id,
            service=SERVICE_NAME,
            operation=PROCESS_OPERATION,
            details={"file_upload_id": str(file.file_upload_id), **rejection.details},
        ),
    )
    _emit_outcome(uow, payload, file)


def validation_code(rejection: RejectedText) -> FileValidationErrorCode:
    if isinstance(rejection.code, FileValidationErrorCode):
        return rejection.code
    return FileValidationErrorCode.TEXT_EXTRACTION_FAILED


def _emit_outcome(uow: UnitOfWork, payload: EventPayload, file: EssayFile) -> None:
    _emit(uow, payload, FILE_AGGREGATE, file.file_upload_id, OUTCOME_NAMESPACE, file)
    added = BatchFileAddedV1(
        batch_id=file.batch_id,
        file_upload_id=file.file_upload_id,
        owner_user_id=file.owner_user_id,
        original_file_name=file.file_name,
    )
    _emit(uow, added, BATCH_AGGREGATE, file.batch_id, ADDED_NAMESPACE, file)


def file_notification(kind: str, file: EssayFile) -> Notification:
    """What the teacher's open page learns at once, beside BatchFileAddedV1/BatchFileRemovedV1."""
    data = {
        "batch_id": str(file.batch_id),
        "file_upload_id": str(file.file_upload_id),
        "original_file_name": file.file_name,
        "status": file.status.value,
    }
    return Notification(file.owner_user_id, kind, data)


def emit_removed(uow: UnitOfWork, file: EssayFile, correlation_id: UUID) -> None:
    removed = BatchFileRemovedV1(
        batch_id=file.batch_id,
        file_upload_id=file.file_upload_id,
        owner_user_id=file.owner_user_id,
        original_file_name=file.file_name,
    )
    _emit(uow, removed, BATCH_AGGREGATE, file.batch_id, REMOVED_NAMESPACE, file, correlation_id)


def _emit(
    uow: UnitOfWork,
    payload: EventPayload,
    aggregate_type: str,
    aggregate_id: UUID,
    namespace: str,
    file: EssayFile,
    correlation_id: UUID | None = None,
) -> None:
    """The event id is the file's in `namespace`, so a retry reproduces it; the correlation
    is the upload's (stored with the file) unless given; the key is the batch."""
    uow.emit(
        payload,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        event_id=deterministic_event_id(namespace, str(file.file_upload_id)),
        event_key=str(file.batch_id),
        correlation_id=correlation_id or file.correlation_id,
    )
