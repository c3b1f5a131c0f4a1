"""Serving a service's HTTP app: Uvicorn, with the httptools parser and the uvloop event loop.

Measured side by side on this project's 2-core machine (`./dev pdm run bench-http-server`),
Uvicorn with httptools and uvloop spent 0.19 ms of CPU per request on an empty Quart route where
Hypercorn with h11 spent 0.47-0.49 ms, and 0.36-0.39 ms where Hypercorn spent 0.66-0.71 ms under
the services' app skeleton.
"""

from __future__ import annotations

import uvicorn

from huleedu_service_libs.app.http_protocol import PROTOCOL_PATH

ACCESS_LOGGER = "huleedu.access"


def serve_http(
    app_factory: str,
    *,
    host: str,
    port: int,
    workers: int = 1,
    graceful_shutdown_seconds: int = 30,
) -> None:
    """Serves until SIGINT or SIGTERM, then lets open requests finish (for at most
    `graceful_shutdown_seconds`) and runs the app's shutdown (pools and container closed).

    `app_factory` is `"module:function"`: a function that reads the settings, configures logging
    and returns the app. Each of `workers` processes calls it after it has started, so no engine,
    pool or container is ever shared across a fork. Uvicorn's own loggers are left unconfigured
    so that they propagate into the service's pipeline, and its access line is off: the app
    writes its own (`huleedu.access`), inside the request's correlation scope. A request the
    HTTP parser refuses gets an ErrorDetail 400 with a correlation id, like any other refusal.
    """
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # httptools, answering a request it cannot parse with an ErrorDetail (http_protocol.py)
        http=PROTOCOL_PATH,
        loop="auto",  # uvloop when installed
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=graceful_shutdown_seconds,
    )
