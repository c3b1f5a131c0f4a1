"""Blueprint guards: `api.before_request(require_teacher)` and the like."""

from __future__ import annotations

from quart import g, request

from huleedu_service_libs.identity.caller import Caller, Principal
from huleedu_service_libs.identity.headers import (
    ADMIN_KEY_HEADER,
    INTERNAL_KEY_HEADER,
    USER_HEADER,
    refuse,
)


async def _caller() -> Caller:
    """The request's Caller from its Dishka container (the one routes get as FromDishka)."""
    caller: Caller = await g.dishka_container.get(Caller)
    return caller


async def require_teacher() -> None:
    if (await _caller()).user_id is None:
        refuse(request, f"the {USER_HEADER} header is required", USER_HEADER)


async def require_internal_key() -> None:
    if (await _caller()).principal is not Principal.INTERNAL:
        refuse(request, f"missing or wrong {INTERNAL_KEY_HEADER}", INTERNAL_KEY_HEADER)


async def require_admin_key() -> None:
    if (await _caller()).principal is not Principal.ADMIN:
        refuse(request, f"missing or wrong {ADMIN_KEY_HEADER}", ADMIN_KEY_HEADER)
