"""One rule for every id header, and the one way a request is refused for its identity."""

from __future__ import annotations

import hmac
from typing import NoReturn

from pydantic import SecretStr
from quart import Request, current_app

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error
from huleedu_service_libs.identity.caller import Caller, Principal

USER_HEADER = "X-User-ID"
ORG_HEADER = "X-Org-ID"
ADMIN_USER_HEADER = "X-Admin-User"
INTERNAL_KEY_HEADER = "X-Internal-API-Key"
ADMIN_KEY_HEADER = "X-Admin-API-Key"
MAX_ID_LENGTH = 255


def refuse(request: Request, message: str, header: str) -> NoReturn:
    correlation = request_correlation()
    raise_authentication_error(
        current_app.name,
        request.endpoint or "auth",
        message,
        correlation.uuid,
        correlation.original,
        header=header,
    )


def id_header(request: Request, name: str) -> str | None:
    """The stripped value, None when absent or blank; a 401 when too long or not printable."""
    value = (request.headers.get(name) or "").strip()
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        refuse(request, f"{name} must be at most {MAX_ID_LENGTH} printable characters", name)
    return value or None


def read_caller(request: Request, internal_key: SecretStr, admin_key: SecretStr) -> Caller:
    user_id = id_header(request, USER_HEADER)
    org_id = id_header(request, ORG_HEADER)
    admin_user = id_header(request, ADMIN_USER_HEADER)
    if _presents(request, ADMIN_KEY_HEADER, admin_key):
        principal = Principal.ADMIN
    elif _presents(request, INTERNAL_KEY_HEADER, internal_key):
        principal = Principal.INTERNAL
    else:
        principal = Principal.TEACHER if user_id else Principal.ANONYMOUS
    return Caller(principal, user_id, org_id, admin_user)


def _presents(request: Request, header: str, key: SecretStr) -> bool:
    given = request.headers.get(header)
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), key.get_secret_value().encode())
