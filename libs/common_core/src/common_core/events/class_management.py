from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from common_core.courses import CourseCode
from common_core.domain_enums import AssociationStatus, ValidationMethod
from common_core.events.base import EventPayload
from common_core.field_types import NonEmptyStr, Probability, StorageId, UserId
from common_core.timestamps import UtcDatetime

# Class and student events carry the full new state, so a consumer never has to merge diffs.


class ClassCreatedV1(EventPayload):
    class_id: UUID
    owner_user_id: UserId
    name: NonEmptyStr
    course_code: CourseCode


class ClassUpdatedV1(EventPayload):
    class_id: UUID
    owner_user_id: UserId
    name: NonEmptyStr
    course_code: CourseCode


class ClassDeletedV1(EventPayload):
    class_id: UUID
    owner_user_id: UserId


class StudentCreatedV1(EventPayload):
    student_id: UUID
    owner_user_id: UserId
    first_name: NonEmptyStr
    last_name: NonEmptyStr
    email: NonEmptyStr
    class_ids: list[UUID] = Field(default_factory=list)


class StudentUpdatedV1(EventPayload):
    student_id: UUID
    owner_user_id: UserId
    first_name: NonEmptyStr
    last_name: NonEmptyStr
    email: NonEmptyStr
    class_ids: list[UUID] = Field(default_factory=list)


class StudentDeletedV1(EventPayload):
    student_id: UUID
    owner_user_id: UserId


class StudentMatchSuggestion(EventPayload):
    student_id: UUID
    student_name: NonEmptyStr
    student_email: NonEmptyStr | None = None
    confidence_score: Probability
    match_reasons: list[NonEmptyStr] = Field(default_factory=list)


class EssayMatchResult(EventPayload):
    essay_id: UUID
    text_storage_id: StorageId | None = None
    file_name: NonEmptyStr | None = None
    suggestions: list[StudentMatchSuggestion] = Field(
        default_factory=list, description="Best match first."
    )
    no_match_reason: NonEmptyStr | None = None


class BatchAuthorMatchesSuggestedV1(EventPayload):
    """Produced by the NLP service: suggested authors for each essay of a batch."""

    batch_id: UUID
    class_id: UUID
    match_results: list[EssayMatchResult]


class ConfirmedStudentAssociation(EventPayload):
    essay_id: UUID
    student_id: UUID | None = Field(description="None when the teacher rejected every suggestion.")
    status: AssociationStatus
    validation_method: ValidationMethod
    confidence_score: Probability | None = None
    validated_by: UserId | None = Field(default=None, description="The teacher, for human checks.")
    validated_at: UtcDatetime

    @model_validator(mode="after")
    def _resolved_with_student_unless_rejected(self) -> Self:
        if not self.status.is_resolved:
            raise ValueError("a confirmed association cannot still be pending validation")
        if (self.student_id is None) != (self.status is AssociationStatus.REJECTED):
            raise ValueError("student_id is required unless the association was rejected")
        return self


class StudentAssociationsConfirmedV1(EventPayload):
    """Every essay of the batch now has a resolved association."""

    batch_id: UUID
    class_id: UUID
    associations: list[ConfirmedStudentAssociation]
    timeout_triggered: bool = False
