"""Who may call: services with the internal key, teachers via the gateway's headers, admins."""

from __future__ import annotations

import hmac

from quart import current_app, request

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error, raise_validation_error
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.domain.accounts import Actor

INTERNAL_KEY_HEADER = "X-Internal-API-Key"
ADMIN_KEY_HEADER = "X-Admin-API-Key"
ADMIN_ACTOR_HEADER = "X-Admin-User"
USER_HEADER = "X-User-ID"
ORG_HEADER = "X-Org-ID"
MAX_ID_LENGTH = 255


async def _settings() -> Settings:
    settings: Settings = await current_app.container.get(Settings)  # type: ignore[attr-defined]
    return settings


def _refuse(message: str) -> None:
    correlation = request_correlation()
    raise_authentication_error(
        SERVICE_NAME, request.endpoint or "auth", message, correlation.uuid, correlation.original
    )


async def reject_nul_characters() -> None:
    """PostgreSQL text cannot hold NUL: refuse it here, as a 400, not later as a database error."""
    body = await request.get_data()
    in_args = any("\x00" in value for value in request.args.values())
    in_path = any("\x00" in str(value) for value in (request.view_args or {}).values())
    if b"\\u0000" in body or b"\x00" in body or in_args or in_path:
        correlation = request_correlation()
        raise_validation_error(
            SERVICE_NAME,
            request.endpoint or "request",
            "NUL characters are not allowed",
            correlation.uuid,
            correlation.original,
        )


def _same(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


async def require_internal_key() -> None:
    settings = await _settings()
    if not _same(
        request.headers.get(INTERNAL_KEY_HEADER), settings.INTERNAL_API_KEY.get_secret_value()
    ):
        _refuse(f"missing or wrong {INTERNAL_KEY_HEADER}")


async def require_admin_key() -> None:
    settings = await _settings()
    if not _same(request.headers.get(ADMIN_KEY_HEADER), settings.ADMIN_API_KEY.get_secret_value()):
        _refuse(f"missing or wrong {ADMIN_KEY_HEADER}")


def _identity(header: str) -> str | None:
    value = (request.headers.get(header) or "").strip()
    if len(value) > MAX_ID_LENGTH:
        _refuse(f"{header} is longer than {MAX_ID_LENGTH} characters")
    return value or None


async def require_user() -> None:
    if _identity(USER_HEADER) is None:
        _refuse(f"{USER_HEADER} is required")


def current_actor() -> Actor:
    user_id = _identity(USER_HEADER)
    assert user_id is not None  # require_user ran before the view
    return Actor(user_id, _identity(ORG_HEADER))


def caller_user() -> str | None:
    """Internal routes may name the user they act for; a hold of another user is then a 404."""
    return _identity(USER_HEADER)


def admin_actor() -> str:
    return _identity(ADMIN_ACTOR_HEADER) or "admin"
