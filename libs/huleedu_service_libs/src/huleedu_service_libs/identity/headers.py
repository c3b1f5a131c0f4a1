"""One rule for every id header, and the one way a request is refused for its identity."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import NoReturn

from pydantic import SecretStr
from quart import Request, current_app

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_authentication_error
from huleedu_service_libs.identity.caller import Caller, Principal
from huleedu_service_libs.identity.signature import (
    DEFAULT_MAX_AGE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_problem,
)

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


@dataclass(frozen=True, slots=True)
class GatewayTrust:
    """Teacher ids count only under the gateway's signature (`identity.signature`)."""

    secret: SecretStr
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS


def read_caller(
    request: Request,
    internal_key: SecretStr,
    admin_key: SecretStr,
    gateway: GatewayTrust | None = None,
) -> Caller:
    user_id = id_header(request, USER_HEADER)
    org_id = id_header(request, ORG_HEADER)
    admin_user = id_header(request, ADMIN_USER_HEADER)
    if _presents(request, ADMIN_KEY_HEADER, admin_key):
        principal = Principal.ADMIN
    elif _presents(request, INTERNAL_KEY_HEADER, internal_key):
        principal = Principal.INTERNAL
    else:
        principal = Principal.TEACHER if user_id else Principal.ANONYMOUS
        if gateway is not None and (user_id or org_id):
            _check_signature(request, gateway, user_id, org_id)
    return Caller(principal, user_id, org_id, admin_user)


def _check_signature(
    request: Request, gateway: GatewayTrust, user_id: str | None, org_id: str | None
) -> None:
    problem = signature_problem(
        gateway.secret.get_secret_value(),
        user_id=user_id,
        org_id=org_id,
        method=request.method,
        path=request.path,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        max_age_seconds=gateway.max_age_seconds,
    )
    if problem is not None:
        refuse(request, problem, SIGNATURE_HEADER)


def _presents(request: Request, header: str, key: SecretStr) -> bool:
    given = request.headers.get(header)
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), key.get_secret_value().encode())
