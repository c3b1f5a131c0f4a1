"""The service's entities as immutable values; repositories load and store them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from common_core.domain_enums import AssociationStatus, ValidationMethod

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Course:
    code: str
    name: str
    language: str
    level: int


@dataclass(frozen=True, slots=True)
class SchoolClass:
    id: UUID
    owner_user_id: str
    name: str
    course_code: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Student:
    id: UUID
    owner_user_id: str
    first_name: str
    last_name: str
    email: str
    created_at: datetime
    updated_at: datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class EssayAssociation:
    id: UUID
    batch_id: UUID
    class_id: UUID
    essay_id: UUID
    suggested_student_id: UUID | None
    confidence_score: float | None
    source_event_id: UUID
    created_at: datetime
    updated_at: datetime
    file_name: str | None = None
    text_storage_id: str | None = None
    no_match_reason: str | None = None
    student_id: UUID | None = None
    validation_status: AssociationStatus = AssociationStatus.PENDING_VALIDATION
    validation_method: ValidationMethod | None = None
    validated_by: str | None = None
    validated_at: datetime | None = None

    @property
    def is_pending(self) -> bool:
        return self.validation_status is AssociationStatus.PENDING_VALIDATION

    def resolved(
        self,
        *,
        student_id: UUID | None,
        status: AssociationStatus,
        method: ValidationMethod,
        by: str | None,
        at: datetime,
    ) -> EssayAssociation:
        return replace(
            self,
            student_id=student_id,
            validation_status=status,
            validation_method=method,
            validated_by=by,
            validated_at=at,
            updated_at=at,
        )


@dataclass(frozen=True, slots=True)
class ClassDetails:
    school_class: SchoolClass
    course: Course
    student_count: int


@dataclass(frozen=True, slots=True)
class StudentDetails:
    student: Student
    class_ids: list[UUID]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
