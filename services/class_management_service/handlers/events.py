"""Event payloads built from the domain's values: the full new state, never a diff."""

from __future__ import annotations

import functools
from uuid import UUID, uuid5

from common_core.courses import CourseCode
from common_core.events.class_management import (
    ClassCreatedV1,
    ClassUpdatedV1,
    ConfirmedStudentAssociation,
    StudentAssociationsConfirmedV1,
    StudentCreatedV1,
    StudentUpdatedV1,
)
from common_core.events.envelope import HULEEDU_NAMESPACE, deterministic_event_id
from services.class_management_service.domain.model import EssayAssociation, SchoolClass, Student

# The outbox's aggregate types; the aggregate id is the class's, the student's or the batch's.
CLASS = "class"
STUDENT = "student"
BATCH = "batch"


def class_created(school_class: SchoolClass) -> ClassCreatedV1:
    return ClassCreatedV1(
        class_id=school_class.id,
        owner_user_id=school_class.owner_user_id,
        name=school_class.name,
        course_code=CourseCode(school_class.course_code),
    )


def class_updated(school_class: SchoolClass) -> ClassUpdatedV1:
    return ClassUpdatedV1(**class_created(school_class).model_dump())


def student_created(student: Student, class_ids: list[UUID]) -> StudentCreatedV1:
    return StudentCreatedV1(
        student_id=student.id,
        owner_user_id=student.owner_user_id,
        first_name=student.first_name,
        last_name=student.last_name,
        email=student.email,
        class_ids=class_ids,
    )


def student_updated(student: Student, class_ids: list[UUID]) -> StudentUpdatedV1:
    return StudentUpdatedV1(**student_created(student, class_ids).model_dump())


def created_event_id(kind: str, entity_id: UUID) -> UUID:
    return deterministic_event_id(_namespace(f"class_management.{kind}_created"), str(entity_id))


@functools.cache
def _namespace(name: str) -> UUID:
    # The same UUID deterministic_event_id derives from the name, computed once.
    return uuid5(HULEEDU_NAMESPACE, name)


def associations_confirmed(
    associations: list[EssayAssociation], timeout_triggered: bool
) -> StudentAssociationsConfirmedV1:
    first = associations[0]
    return StudentAssociationsConfirmedV1(
        batch_id=first.batch_id,
        class_id=first.class_id,
        associations=[_confirmed(association) for association in associations],
        timeout_triggered=timeout_triggered,
    )


def associations_confirmed_event_id(associations: list[EssayAssociation]) -> UUID:
    # One batch completes once for a given set of essays; the id repeats only for that set.
    essays = ",".join(sorted(str(association.essay_id) for association in associations))
    return deterministic_event_id(
        "class_management.student_associations_confirmed",
        f"{associations[0].batch_id}:{essays}",
    )


def _confirmed(association: EssayAssociation) -> ConfirmedStudentAssociation:
    if association.validation_method is None or association.validated_at is None:
        raise ValueError(f"essay {association.essay_id} is still pending validation")
    return ConfirmedStudentAssociation(
        essay_id=association.essay_id,
        student_id=association.student_id,
        status=association.validation_status,
        validation_method=association.validation_method,
        confidence_score=association.confidence_score,
        validated_by=association.validated_by,
        validated_at=association.validated_at,
    )
