"""What is this service's own in error handling: the race two requests can run past the check
for a running assessment of the batch, decided by a unique index, is a 409."""

from __future__ import annotations

from quart import Response
from sqlalchemy.exc import IntegrityError

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.error_handling import domain_error_response
from services.cj_assessment_service.domain.errors import Conflict

ACTIVE_BATCH_INDEX = "uq_assessments_active_batch"


async def on_integrity_error(error: IntegrityError) -> Response:
    if ACTIVE_BATCH_INDEX in str(error.orig):
        return await domain_error_response(
            Conflict("an assessment of this batch is already running")
        )
    raise error  # any other constraint is a bug: the library's 500


def register_conflict_handler(app: HuleEduApp) -> None:
    app.register_error_handler(IntegrityError, on_integrity_error)
