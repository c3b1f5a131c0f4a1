"""The teacher is the gateway's X-User-ID (X-Org-ID when acting for an organisation)."""

from __future__ import annotations

from quart import request

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error
from services.cj_assessment_service.config import SERVICE_NAME

USER_HEADER = "X-User-ID"
ORG_HEADER = "X-Org-ID"
MAX_ID_LENGTH = 255


def _header(name: str, *, required: bool) -> str | None:
    value = (request.headers.get(name) or "").strip()
    problem = None
    if not value and required:
        problem = f"the {name} header is required"
    elif len(value) > MAX_ID_LENGTH or not value.isprintable():
        problem = f"{name} must be at most {MAX_ID_LENGTH} printable characters"
    if problem is not None:
        correlation = request_correlation()
        raise_authentication_error(
            SERVICE_NAME,
            request.endpoint or "auth",
            problem,
            correlation.uuid,
            correlation.original,
        )
    return value or None


def teacher_id() -> str:
    value = _header(USER_HEADER, required=True)
    assert value is not None
    return value


def org_id() -> str | None:
    return _header(ORG_HEADER, required=False)


async def require_teacher() -> None:
    teacher_id()
