"""Classes and their rosters (/v1/classes/...), always the X-User-ID teacher's own."""

from __future__ import annotations

from uuid import UUID

from dishka import FromDishka
from quart import Blueprint, Response, request
from quart_dishka import inject
from quart_schema import (
    validate_querystring,
    validate_request,
    validate_response,
)

from huleedu_service_libs.app.openapi import multipart_files, no_content, request_body
from huleedu_service_libs.identity import Caller, require_teacher
from services.class_management_service.api.schemas import (
    ClassBody,
    ClassPage,
    CreateClassRequest,
    ImportBody,
    ListClassesArgs,
    MembershipBody,
    PageArgs,
    RosterPage,
    StudentSummary,
    UpdateClassRequest,
)
from services.class_management_service.domain.errors import (
    InvalidInputError,
    UnsupportedMediaTypeError,
)
from services.class_management_service.handlers.classes import ClassHandlers
from services.class_management_service.handlers.roster import RosterHandlers
from services.class_management_service.handlers.roster_import import RosterImportHandler

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")
ROSTER_CSV = {
    "text/csv": {"schema": {"type": "string", "description": "first_name,last_name,email"}},
    **multipart_files("file", "The roster: a CSV or .xlsx file", multiple=False),
}


def class_blueprint() -> Blueprint:
    api = Blueprint("classes", __name__, url_prefix="/v1/classes")
    api.before_request(require_teacher)

    @api.post("/", strict_slashes=False)
    @validate_request(CreateClassRequest)
    @validate_response(ClassBody, 201)
    @inject
    async def create_class(
        data: CreateClassRequest, classes: FromDishka[ClassHandlers], caller: FromDishka[Caller]
    ) -> tuple[ClassBody, int]:
        """Create a class for exactly one course (ENG5, ENG6, ENG7, SV1, SV2, SV3)."""
        return ClassBody.of(await classes.create(caller.teacher_id, data.command())), 201

    @api.get("/", strict_slashes=False)
    @validate_querystring(ListClassesArgs)
    @validate_response(ClassPage, 200)
    @inject
    async def list_classes(
        query_args: ListClassesArgs, classes: FromDishka[ClassHandlers], caller: FromDishka[Caller]
    ) -> ClassPage:
        """Your classes, newest first, optionally of one course."""
        page = await classes.list_owned(
            caller.teacher_id, query_args.course, query_args.limit, query_args.offset
        )
        items = [ClassBody.of(item) for item in page.items]
        return ClassPage(items=items, total=page.total, limit=page.limit, offset=page.offset)

    @api.get("/<uuid:class_id>")
    @validate_response(ClassBody, 200)
    @inject
    async def get_class(
        class_id: UUID, classes: FromDishka[ClassHandlers], caller: FromDishka[Caller]
    ) -> ClassBody:
        return ClassBody.of(await classes.get(caller.teacher_id, class_id))

    @api.put("/<uuid:class_id>")
    @validate_request(UpdateClassRequest)
    @validate_response(ClassBody, 200)
    @inject
    async def update_class(
        class_id: UUID,
        data: UpdateClassRequest,
        classes: FromDishka[ClassHandlers],
        caller: FromDishka[Caller],
    ) -> ClassBody:
        """Rename the class and/or change its course; the roster is kept."""
        return ClassBody.of(await classes.update(caller.teacher_id, class_id, data.command()))

    @api.delete("/<uuid:class_id>")
    @no_content
    @inject
    async def delete_class(
        class_id: UUID, classes: FromDishka[ClassHandlers], caller: FromDishka[Caller]
    ) -> Response:
        """Delete the class and its roster memberships (students stay). Refused with 409
        while essays of any batch are associated with the class."""
        await classes.delete(caller.teacher_id, class_id)
        return Response(status=204)

    _roster_routes(api)
    return api


def _roster_routes(api: Blueprint) -> None:
    @api.get("/<uuid:class_id>/students")
    @validate_querystring(PageArgs)
    @validate_response(RosterPage, 200)
    @inject
    async def class_roster(
        class_id: UUID,
        query_args: PageArgs,
        roster: FromDishka[RosterHandlers],
        caller: FromDishka[Caller],
    ) -> RosterPage:
        """The class's students by last name."""
        page = await roster.roster(caller.teacher_id, class_id, query_args.limit, query_args.offset)
        items = [StudentSummary.of(student) for student in page.items]
        return RosterPage(
            class_id=class_id, items=items, total=page.total, limit=page.limit, offset=page.offset
        )

    @api.post("/<uuid:class_id>/students/<uuid:student_id>")
    @validate_response(MembershipBody, 201)
    @validate_response(MembershipBody, 200)
    @inject
    async def add_to_roster(
        class_id: UUID,
        student_id: UUID,
        roster: FromDishka[RosterHandlers],
        caller: FromDishka[Caller],
    ) -> tuple[MembershipBody, int]:
        """Add one of your students to the class: 201, or 200 when already there."""
        added = await roster.add(caller.teacher_id, class_id, student_id)
        body = MembershipBody(class_id=class_id, student_id=student_id, added=added)
        return body, 201 if added else 200

    @api.delete("/<uuid:class_id>/students/<uuid:student_id>")
    @no_content
    @inject
    async def remove_from_roster(
        class_id: UUID,
        student_id: UUID,
        roster: FromDishka[RosterHandlers],
        caller: FromDishka[Caller],
    ) -> Response:
        """Remove the student from this class only; 404 when not on the roster."""
        await roster.remove(caller.teacher_id, class_id, student_id)
        return Response(status=204)

    @api.post("/<uuid:class_id>/students/import")
    @request_body(ROSTER_CSV, "The roster: a CSV or .xlsx file with a header row")
    @validate_response(ImportBody, 200)
    @inject
    async def import_roster(
        class_id: UUID, importer: FromDishka[RosterImportHandler], caller: FromDishka[Caller]
    ) -> ImportBody:
        """A header row naming first name, last name and email (English or Swedish names, e.g.
        Förnamn, Efternamn, E-post), then one student per row. CSV (comma, semicolon or tab;
        UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252) as the body (text/csv) or
        as the `file` field of a multipart form; an .xlsx workbook (its first sheet) as the
        `file` field or as an application/octet-stream body. Per-row results; importing the
        same file again changes nothing."""
        data = await _roster_body()
        return ImportBody.of(await importer.import_csv(caller.teacher_id, class_id, data))


async def _roster_body() -> bytes:
    if request.mimetype == "multipart/form-data":
        upload = (await request.files).get("file")
        if upload is None:
            raise InvalidInputError("The multipart form has no `file` field")
        # Not checked here: the file may be UTF-16 or a workbook; every cell is checked for
        # control characters once decoded (domain/roster_source.py).
        return bytes(upload.read())
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaTypeError(
            "Send the roster as text/csv, as application/octet-stream or as a multipart `file`",
            content_type=request.mimetype,
        )
    data = await request.get_data(as_text=False)
    return data if isinstance(data, bytes) else data.encode()
