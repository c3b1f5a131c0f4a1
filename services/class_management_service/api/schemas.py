"""Request and response bodies of the teacher API (OpenAPI at /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.class_management_service.domain import commands
from services.class_management_service.domain.model import (
    ClassDetails,
    EssayAssociation,
    Student,
    StudentDetails,
)
from services.class_management_service.handlers.review import BatchReview
from services.class_management_service.handlers.roster_import import ImportReport, RowStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
CourseCodeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=16),
    Field(examples=["ENG5", "SV1"]),
]
EmailText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=320),
    Field(json_schema_extra={"format": "email"}, examples=["ada@example.org"]),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateClassRequest(Request):
    name: Name
    course_codes: list[CourseCodeText] = Field(
        min_length=1,
        max_length=20,
        description="Exactly one course; several is an error.",
        examples=[["ENG5"]],
    )

    def command(self) -> commands.CreateClass:
        return commands.CreateClass(self.name, list(self.course_codes))


class UpdateClassRequest(Request):
    name: Name | None = None
    course_codes: list[CourseCodeText] | None = Field(default=None, min_length=1, max_length=20)

    def command(self) -> commands.UpdateClass:
        codes = None if self.course_codes is None else list(self.course_codes)
        return commands.UpdateClass(self.name, codes)


class CreateStudentRequest(Request):
    first_name: Name
    last_name: Name
    email: EmailText
    class_ids: list[UUID] = Field(default_factory=list, max_length=100)

    def command(self) -> commands.CreateStudent:
        return commands.CreateStudent(
            self.first_name, self.last_name, self.email, list(self.class_ids)
        )


class UpdateStudentRequest(Request):
    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailText | None = None

    def command(self) -> commands.UpdateStudent:
        return commands.UpdateStudent(self.first_name, self.last_name, self.email)


class PageArgs(BaseModel):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ListClassesArgs(PageArgs):
    course: CourseCodeText | None = Field(default=None, description="Only this course's classes.")


class Decision(Request):
    essay_id: UUID
    action: Literal["accept", "choose", "reject"]
    student_id: UUID | None = Field(default=None, description="Required with action=choose.")

    def command(self) -> commands.EssayDecision:
        action = commands.ReviewAction(self.action)
        return commands.EssayDecision(self.essay_id, action, self.student_id)


class ConfirmAssociationsRequest(Request):
    decisions: list[Decision] = Field(min_length=1, max_length=2000)


class CourseBody(BaseModel):
    code: str
    name: str
    language: str
    level: int


class ClassBody(BaseModel):
    id: UUID
    name: str
    course_code: str
    course: CourseBody
    student_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, details: ClassDetails) -> ClassBody:
        school_class, course = details.school_class, details.course
        return cls(
            id=school_class.id,
            name=school_class.name,
            course_code=course.code,
            course=CourseBody(
                code=course.code, name=course.name, language=course.language, level=course.level
            ),
            student_count=details.student_count,
            created_at=school_class.created_at,
            updated_at=school_class.updated_at,
        )


class ClassPage(BaseModel):
    items: list[ClassBody]
    total: int
    limit: int
    offset: int


class StudentSummary(BaseModel):
    id: UUID
    first_name: str
    last_name: str
    email: str

    @classmethod
    def of(cls, student: Student) -> StudentSummary:
        return cls(
            id=student.id,
            first_name=student.first_name,
            last_name=student.last_name,
            email=student.email,
        )


class StudentBody(StudentSummary):
    class_ids: list[UUID]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_details(cls, details: StudentDetails) -> StudentBody:
        student = details.student
        return cls(
            **StudentSummary.of(student).model_dump(),
            class_ids=details.class_ids,
            created_at=student.created_at,
            updated_at=student.updated_at,
        )


class RosterPage(BaseModel):
    class_id: UUID
    items: list[StudentSummary]
    total: int
    limit: int
    offset: int


class MembershipBody(BaseModel):
    class_id: UUID
    student_id: UUID
    added: bool = Field(description="False when the student was already on the roster.")


class ImportRow(BaseModel):
    row: int = Field(description="Line number in the file; the header is line 1.")
    status: RowStatus
    email: str | None
    student_id: UUID | None
    reason: str | None


class ImportBody(BaseModel):
    class_id: UUID
    summary: dict[RowStatus, int]
    rows: list[ImportRow]

    @classmethod
    def of(cls, report: ImportReport) -> ImportBody:
        return cls(
            class_id=report.class_id,
            summary={status: report.count(status) for status in RowStatus},
            rows=[
                ImportRow(
                    row=row.row,
                    status=row.status,
                    email=row.email,
                    student_id=row.student_id,
                    reason=row.reason,
                )
                for row in report.rows
            ],
        )


class AssociationBody(BaseModel):
    essay_id: UUID
    file_name: str | None
    suggested_student: StudentSummary | None
    confidence_score: float | None = Field(description="The NLP match confidence, as stored.")
    no_match_reason: str | None
    validation_status: str
    validation_method: str | None
    student_id: UUID | None
    validated_by: str | None
    validated_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, item: EssayAssociation, students: dict[UUID, Student]) -> AssociationBody:
        suggested = students.get(item.suggested_student_id) if item.suggested_student_id else None
        return cls(
            essay_id=item.essay_id,
            file_name=item.file_name,
            suggested_student=None if suggested is None else StudentSummary.of(suggested),
            confidence_score=item.confidence_score,
            no_match_reason=item.no_match_reason,
            validation_status=item.validation_status.value,
            validation_method=None
            if item.validation_method is None
            else item.validation_method.value,
            student_id=item.student_id,
            validated_by=item.validated_by,
            validated_at=item.validated_at,
            created_at=item.created_at,
        )


class BatchAssociationsBody(BaseModel):
    batch_id: UUID
    class_id: UUID
    pending_count: int
    completed: bool = Field(description="This request resolved the batch's last essay.")
    associations: list[AssociationBody]
    roster: list[StudentSummary] = Field(description="The class's students to choose from.")

    @classmethod
    def of(cls, review: BatchReview) -> BatchAssociationsBody:
        students = {student.id: student for student in [*review.roster, *review.former_members]}
        return cls(
            batch_id=review.batch_id,
            class_id=review.class_id,
            pending_count=review.pending_count,
            completed=review.completed,
            associations=[AssociationBody.of(item, students) for item in review.associations],
            roster=[StudentSummary.of(student) for student in review.roster],
        )
