"""Teacher review of suggested essay authors (/v1/batches/<batch_id>/student-associations)."""

from __future__ import annotations

from uuid import UUID

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_request, validate_response

from huleedu_service_libs.identity import Caller, require_teacher
from services.class_management_service.api.schemas import (
    BatchAssociationsBody,
    ConfirmAssociationsRequest,
)
from services.class_management_service.handlers.review import ReviewHandlers


def association_blueprint() -> Blueprint:
    api = Blueprint("associations", __name__, url_prefix="/v1/batches")
    api.before_request(require_teacher)

    @api.get("/<uuid:batch_id>/student-associations")
    @validate_response(BatchAssociationsBody, 200)
    @inject
    async def batch_associations(
        batch_id: UUID, reviews: FromDishka[ReviewHandlers], caller: FromDishka[Caller]
    ) -> BatchAssociationsBody:
        """Each essay's suggested author with its stored confidence, and the class roster."""
        return BatchAssociationsBody.of(await reviews.review(caller.teacher_id, batch_id))

    @api.post("/<uuid:batch_id>/student-associations/confirm")
    @validate_request(ConfirmAssociationsRequest)
    @validate_response(BatchAssociationsBody, 200)
    @inject
    async def confirm_associations(
        batch_id: UUID,
        data: ConfirmAssociationsRequest,
        reviews: FromDishka[ReviewHandlers],
        caller: FromDishka[Caller],
    ) -> BatchAssociationsBody:
        """Per essay: accept the suggestion, choose another student of the class, or reject.
        All or nothing; repeating a decision changes nothing; a different decision for an
        essay already decided is a 409. When the batch's last essay is decided, one
        StudentAssociationsConfirmedV1 is published."""
        decisions = [decision.command() for decision in data.decisions]
        return BatchAssociationsBody.of(
            await reviews.confirm(caller.teacher_id, batch_id, decisions)
        )

    return api
