"""Who may call: teachers via the gateway's X-User-ID; services with the internal key."""

from __future__ import annotations

import hmac

from quart import current_app, request

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error
from services.file_service.config import SERVICE_NAME, Settings

USER_HEADER = "X-User-ID"
INTERNAL_KEY_HEADER = "X-Internal-API-Key"
MAX_USER_ID_LENGTH = 255


def _refuse(message: str) -> None:
    correlation = request_correlation()
    raise_authentication_error(
        SERVICE_NAME, request.endpoint or "auth", message, correlation.uuid, correlation.original
    )


async def require_teacher() -> None:
    value = (request.headers.get(USER_HEADER) or "").strip()
    if not value:
        _refuse(f"the {USER_HEADER} header is required")
    if len(value) > MAX_USER_ID_LENGTH:
        _refuse(f"{USER_HEADER} is longer than {MAX_USER_ID_LENGTH} characters")


def teacher_id() -> str:
    """Only inside routes guarded by require_teacher."""
    return (request.headers.get(USER_HEADER) or "").strip()


async def require_internal_key() -> None:
    settings: Settings = await current_app.container.get(Settings)  # type: ignore[attr-defined]
    given = (request.headers.get(INTERNAL_KEY_HEADER) or "").encode()
    if not hmac.compare_digest(given, settings.INTERNAL_API_KEY.get_secret_value().encode()):
        _refuse(f"missing or wrong {INTERNAL_KEY_HEADER}")
