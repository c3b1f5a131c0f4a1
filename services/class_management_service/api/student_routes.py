"""Students (/v1/classes/students/...), always the X-User-ID teacher's own."""

from __future__ import annotations

from uuid import UUID

from dishka import FromDishka
from quart import Blueprint, Response
from quart_dishka import inject
from quart_schema import validate_request, validate_response

from huleedu_service_libs.app.openapi import no_content
from huleedu_service_libs.identity import Caller, require_teacher
from services.class_management_service.api.schemas import (
    CreateStudentRequest,
    StudentBody,
    UpdateStudentRequest,
)
from services.class_management_service.handlers.students import StudentHandlers


def student_blueprint() -> Blueprint:
    api = Blueprint("students", __name__, url_prefix="/v1/classes/students")
    api.before_request(require_teacher)

    @api.post("/", strict_slashes=False)
    @validate_request(CreateStudentRequest)
    @validate_response(StudentBody, 201)
    @inject
    async def create_student(
        data: CreateStudentRequest,
        students: FromDishka[StudentHandlers],
        caller: FromDishka[Caller],
    ) -> tuple[StudentBody, int]:
        """Create a student, optionally on the rosters of some of your classes. The email is
        unique per teacher (case-insensitive): a duplicate is a 409 naming the existing one."""
        details = await students.create(caller.teacher_id, data.command())
        return StudentBody.of_details(details), 201

    @api.get("/<uuid:student_id>")
    @validate_response(StudentBody, 200)
    @inject
    async def get_student(
        student_id: UUID, students: FromDishka[StudentHandlers], caller: FromDishka[Caller]
    ) -> StudentBody:
        return StudentBody.of_details(await students.get(caller.teacher_id, student_id))

    @api.put("/<uuid:student_id>")
    @validate_request(UpdateStudentRequest)
    @validate_response(StudentBody, 200)
    @inject
    async def update_student(
        student_id: UUID,
        data: UpdateStudentRequest,
        students: FromDishka[StudentHandlers],
        caller: FromDishka[Caller],
    ) -> StudentBody:
        details = await students.update(caller.teacher_id, student_id, data.command())
        return StudentBody.of_details(details)

    @api.delete("/<uuid:student_id>")
    @no_content
    @inject
    async def delete_student(
        student_id: UUID, students: FromDishka[StudentHandlers], caller: FromDishka[Caller]
    ) -> Response:
        """Delete the student and their roster memberships. Refused with 409 while an essay
        association (suggested or confirmed) names the student."""
        await students.delete(caller.teacher_id, student_id)
        return Response(status=204)

    return api
