from __future__ import annotations

from quart import Quart, Response, g, has_request_context, request

from huleedu_service_libs.correlation.context import CorrelationContext
from huleedu_service_libs.correlation.scope import (
    CorrelationToken,
    activate_correlation,
    current_correlation,
    deactivate_correlation,
)

CORRELATION_HEADER = "X-Correlation-ID"


def setup_correlation_middleware(app: Quart) -> None:
    # First in line, so that a failing later hook still produces an error with the caller's id.
    app.before_request_funcs.setdefault(None, []).insert(0, _enter_correlation)
    app.after_request(_echo_correlation)
    app.teardown_request(_leave_correlation)


def request_correlation() -> CorrelationContext:
    """The active context, or one derived from the request headers if the middleware has not run."""
    context = current_correlation()
    if context is not None:
        return context
    if has_request_context():
        return CorrelationContext.from_header(request.headers.get(CORRELATION_HEADER))
    return CorrelationContext.generate()


async def _enter_correlation() -> None:
    context = CorrelationContext.from_header(request.headers.get(CORRELATION_HEADER))
    g.correlation_context = context
    g.correlation_token = activate_correlation(context)


async def _echo_correlation(response: Response) -> Response:
    context: CorrelationContext | None = g.get("correlation_context")
    if context is not None:
        response.headers[CORRELATION_HEADER] = context.original
    return response


async def _leave_correlation(_error: BaseException | None) -> None:
    token: CorrelationToken | None = g.pop("correlation_token", None)
    if token is not None:
        deactivate_correlation(token)
