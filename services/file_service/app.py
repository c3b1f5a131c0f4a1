"""The HTTP app. `python -m services.file_service.app` serves it (Uvicorn); `production_app` is
the factory the server process calls."""

from __future__ import annotations

from huleedu_service_libs.app import (
    HuleEduApp,
    create_service_app,
    eager_metrics,
    production_app_of,
    redis_check,
    serve_service,
)
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.engines import build_engine
from services.file_service.api.batch_routes import batch_blueprint
from services.file_service.api.content_routes import content_blueprint
from services.file_service.config import SERVICE_NAME, Settings, load_file_settings
from services.file_service.metrics import FileMetrics
from services.file_service.startup_setup import build_container

MULTIPART_OVERHEAD_PARTS = 50


def create_app(settings: Settings | None = None) -> HuleEduApp:
    settings = settings or load_file_settings()
    engine = build_engine(settings)
    registry = new_registry()
    app = create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine, registry=registry),
        database_engine=engine,
        blueprints=[batch_blueprint(), content_blueprint()],
        health_checks=[redis_check(settings.REDIS_URL)],
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        registry=registry,
        max_content_length=settings.MAX_REQUEST_BYTES,
    )
    # Room for a few parts beyond the file limit, so the handler names the limit that was hit.
    app.config["MAX_FORM_PARTS"] = 2 * settings.MAX_FILES_PER_REQUEST + MULTIPART_OVERHEAD_PARTS
    eager_metrics(app, FileMetrics)
    return app


def production_app() -> HuleEduApp:
    """What each server process runs: settings from the environment, logging configured."""
    return production_app_of(SERVICE_NAME, load_file_settings(), create_app)


def main() -> None:
    serve_service(SERVICE_NAME, load_file_settings(), "services.file_service.app:production_app")


if __name__ == "__main__":
    main()
