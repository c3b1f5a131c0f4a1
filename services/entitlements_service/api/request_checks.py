"""Checks of every request beyond who sends it (that is huleedu_service_libs.identity)."""

from __future__ import annotations

from quart import request

from huleedu_service_libs.correlation import request_correlation
from huleedu_service_libs.error_handling import raise_validation_error
from services.entitlements_service.config import SERVICE_NAME


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
