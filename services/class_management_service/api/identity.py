"""The teacher is the gateway's X-User-ID; without it nothing is shown or changed."""

from __future__ import annotations

from quart import request

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error
from services.class_management_service.config import SERVICE_NAME

USER_HEADER = "X-User-ID"
MAX_USER_ID_LENGTH = 255


def teacher_id() -> str:
    value = (request.headers.get(USER_HEADER) or "").strip()
    problem = None
    if not value:
        problem = f"the {USER_HEADER} header is required"
    elif len(value) > MAX_USER_ID_LENGTH or not value.isprintable():
        problem = f"{USER_HEADER} must be at most {MAX_USER_ID_LENGTH} printable characters"
    if problem is not None:
        correlation = request_correlation()
        raise_authentication_error(
            SERVICE_NAME,
            request.endpoint or "auth",
            problem,
            correlation.uuid,
            correlation.original,
        )
    return value


async def require_teacher() -> None:
    teacher_id()
