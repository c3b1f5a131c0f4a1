"""The HTTP app. `python -m services.class_management_service.app` serves it (Uvicorn);
`production_app` is the factory the server process calls."""

from __future__ import annotations

from huleedu_service_libs.app import HuleEduApp, create_service_app, serve_http
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from services.class_management_service.api.association_routes import association_blueprint
from services.class_management_service.api.class_routes import class_blueprint
from services.class_management_service.api.student_routes import student_blueprint
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.startup_setup import build_container


def create_app(settings: Settings | None = None) -> HuleEduApp:
    settings = settings or load_service_settings()
    engine = build_engine(settings)
    registry = new_registry()
    return create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine, registry=registry),
        database_engine=engine,
        blueprints=[student_blueprint(), class_blueprint(), association_blueprint()],
        # Redis is left out on purpose: it only carries best-effort notifications and wake-ups,
        # so its absence must not take the API out of rotation.
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        registry=registry,
        max_content_length=settings.MAX_IMPORT_BYTES,
    )


def production_app() -> HuleEduApp:
    """Settings from the environment and logging configured: what the server process runs."""
    settings = load_service_settings()
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    app = create_app(settings)
    tune_garbage_collector()
    return app


def main() -> None:
    settings = load_service_settings()
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    serve_http(
        "services.class_management_service.app:production_app",
        host=settings.HTTP_HOST,
        port=settings.HTTP_PORT,
        workers=settings.HTTP_WORKERS,
    )


if __name__ == "__main__":
    main()
