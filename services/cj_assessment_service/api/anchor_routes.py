"""Anchor essays (/v1/anchors): reference essays with known grades, never shown as such."""

from __future__ import annotations

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_querystring, validate_request, validate_response

from huleedu_service_libs.identity import Caller, require_teacher
from services.cj_assessment_service.api.schemas import (
    AnchorBody,
    AnchorList,
    AnchorQuery,
    RegisterAnchorsRequest,
)
from services.cj_assessment_service.handlers.anchors import AnchorCatalogue


def anchor_blueprint() -> Blueprint:
    api = Blueprint("anchors", __name__, url_prefix="/v1/anchors")
    api.before_request(require_teacher)

    @api.post("/", strict_slashes=False)
    @validate_request(RegisterAnchorsRequest)
    @validate_response(AnchorList, 201)
    @inject
    async def register_anchors(
        data: RegisterAnchorsRequest,
        catalogue: FromDishka[AnchorCatalogue],
        caller: FromDishka[Caller],
    ) -> tuple[AnchorList, int]:
        """Register anchor essays of known grades for a course (or one assignment of it)."""
        anchors = await catalogue.register(data.command(caller.teacher_id))
        return AnchorList(anchors=[AnchorBody.of(a) for a in anchors]), 201

    @api.get("/", strict_slashes=False)
    @validate_querystring(AnchorQuery)
    @validate_response(AnchorList, 200)
    @inject
    async def list_anchors(
        query_args: AnchorQuery, catalogue: FromDishka[AnchorCatalogue], caller: FromDishka[Caller]
    ) -> AnchorList:
        """Your anchors, optionally of one course or assignment (texts are not returned)."""
        anchors = await catalogue.list(
            caller.teacher_id, query_args.course_code, query_args.assignment_id
        )
        return AnchorList(anchors=[AnchorBody.of(a) for a in anchors])

    return api
