"""Expected refusals of the use cases; the library's error handlers turn each into an ErrorDetail
with its code.

Only the base error codes are answered: what is missing or in conflict is `details.resource`
(`class`, `student`, `course`, `batch`, `association`), so a client handles one
RESOURCE_NOT_FOUND, whichever service and resource it asked for."""

from __future__ import annotations

from uuid import UUID

from common_core.error_enums import AnyErrorCode, ErrorCode
from huleedu_service_libs.error_handling import DomainError


class ClassManagementError(DomainError):
    code: AnyErrorCode = ErrorCode.VALIDATION_ERROR


class InvalidInputError(ClassManagementError):
    code = ErrorCode.VALIDATION_ERROR


class ConflictError(ClassManagementError):
    code = ErrorCode.CONFLICT


class UnsupportedMediaTypeError(ClassManagementError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class CourseNotFoundError(ClassManagementError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, course_code: str) -> None:
        super().__init__(
            f"Unknown course code {course_code!r}", resource="course", course_code=course_code
        )


class MultipleCourseError(ClassManagementError):
    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, course_codes: list[str]) -> None:
        super().__init__(
            "A class belongs to exactly one course; several were given",
            field="course_codes",
            course_codes=course_codes,
        )


class ClassNotFoundError(ClassManagementError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, class_id: UUID) -> None:
        super().__init__("Class not found", resource="class", class_id=str(class_id))


class StudentNotFoundError(ClassManagementError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, student_id: UUID, reason: str = "Student not found") -> None:
        super().__init__(reason, resource="student", student_id=str(student_id))


class DuplicateStudentError(ClassManagementError):
    code = ErrorCode.CONFLICT

    def __init__(self, email: str, existing_student_id: UUID) -> None:
        super().__init__(
            f"A student with email {email} already exists",
            resource="student",
            email=email,
            existing_student_id=str(existing_student_id),
        )


class BatchNotFoundError(ClassManagementError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, batch_id: UUID) -> None:
        super().__init__(
            "No student associations for this batch", resource="batch", batch_id=str(batch_id)
        )


class AssociationNotFoundError(ClassManagementError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, batch_id: UUID, essay_id: UUID) -> None:
        super().__init__(
            "The batch has no association for this essay",
            resource="association",
            batch_id=str(batch_id),
            essay_id=str(essay_id),
        )


class AssociationAlreadyResolvedError(ClassManagementError):
    code = ErrorCode.CONFLICT

    def __init__(self, essay_id: UUID, status: str, method: str | None) -> None:
        super().__init__(
            "The essay's author was already decided differently",
            resource="association",
            essay_id=str(essay_id),
            validation_status=status,
            validation_method=method,
        )


class UnknownClassError(Exception):
    """An event names a class this service does not have. Retrying cannot help, but the consumer
    runtime retries every failure its bounded number of times before the dead-letter topic."""
