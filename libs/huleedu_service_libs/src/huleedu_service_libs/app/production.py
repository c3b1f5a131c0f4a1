"""The two entry points of a service's HTTP process: `main()` starts the server, which calls
the app factory in each of its worker processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from huleedu_service_libs.app.huleedu_app import HuleEduApp
from huleedu_service_libs.app.serving import serve_http
from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from huleedu_service_libs.observability.tracing import setup_tracing

S = TypeVar("S", bound=SecureServiceSettings)


def production_app_of(
    service_name: str, settings: S, create_app: Callable[[S], HuleEduApp]
) -> HuleEduApp:
    """Logging and tracing configured, the app built, the garbage collector tuned: what a
    server runs."""
    configure_logging(
        service_name,
        settings.ENVIRONMENT.value,
        settings.LOG_LEVEL,
        log_format=settings.LOG_FORMAT,
    )
    setup_tracing(service_name, settings)
    app = create_app(settings)
    tune_garbage_collector()
    return app


def serve_service(service_name: str, settings: SecureServiceSettings, app_factory: str) -> None:
    """Serves `app_factory` ("module:function") on the settings' HTTP host, port and workers."""
    configure_logging(
        service_name,
        settings.ENVIRONMENT.value,
        settings.LOG_LEVEL,
        log_format=settings.LOG_FORMAT,
    )
    serve_http(
        app_factory, host=settings.HTTP_HOST, port=settings.HTTP_PORT, workers=settings.HTTP_WORKERS
    )
