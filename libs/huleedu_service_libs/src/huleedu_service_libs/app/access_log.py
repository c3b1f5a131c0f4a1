"""One access line per request, written by the app inside the request's correlation scope.

A server's own access line comes after the request's context has ended and knows nothing of the
correlation id; this one is a normal structured line, so it carries it like every other line.
"""

from __future__ import annotations

import logging
import time

from quart import Quart, Response, g, request

from huleedu_service_libs.app.serving import ACCESS_LOGGER
from huleedu_service_libs.logging_utils import create_service_logger


def setup_access_log(app: Quart) -> None:
    gate = logging.getLogger(ACCESS_LOGGER)
    logger = create_service_logger(ACCESS_LOGGER)

    async def log_request(response: Response) -> Response:
        if gate.isEnabledFor(logging.INFO):  # the line costs nothing when the level hides it
            started: float | None = g.get("request_started")
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=None if started is None else round(_ms_since(started), 2),
                client=request.remote_addr,
            )
        return response

    app.after_request(log_request)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
