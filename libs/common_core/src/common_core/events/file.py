from uuid import UUID

from pydantic import Field

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from common_core.events.base import EventPayload
from common_core.field_types import Md5Hex, NonEmptyStr, NonNegativeInt, StorageId, UserId
from common_core.models.error_models import ErrorDetail


class EssayContentProvisionedV1(EventPayload):
    """An uploaded essay passed extraction and validation; its text is in the content store.

    Carries the batch's owner and course so that consumers (the CJ service) learn a batch's essays
    from events alone, without a synchronous call to the file service.
    """

    batch_id: UUID
    file_upload_id: UUID = Field(description="Identifies the essay from here on.")
    owner_user_id: UserId
    course_code: CourseCode
    class_id: UUID | None = None
    original_file_name: NonEmptyStr
    file_format: FileFormat
    raw_file_storage_id: StorageId
    text_storage_id: StorageId
    file_size_bytes: NonNegativeInt
    file_md5: Md5Hex = Field(description="MD5 of the uploaded bytes.")
    text_char_count: NonNegativeInt


class EssayValidationFailedV1(EventPayload):
    batch_id: UUID
    file_upload_id: UUID
    owner_user_id: UserId
    original_file_name: NonEmptyStr
    raw_file_storage_id: StorageId | None = None
    file_size_bytes: NonNegativeInt
    validation_error_code: FileValidationErrorCode
    error_detail: ErrorDetail


class BatchFileAddedV1(EventPayload):
    batch_id: UUID
    file_upload_id: UUID
    owner_user_id: UserId
    original_file_name: NonEmptyStr


class BatchFileRemovedV1(EventPayload):
    batch_id: UUID
    file_upload_id: UUID
    owner_user_id: UserId
    original_file_name: NonEmptyStr
