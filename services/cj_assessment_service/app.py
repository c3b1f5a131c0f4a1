"""The HTTP app. `python -m services.cj_assessment_service.app` serves it (Uvicorn);
`production_app` is the factory the server process calls."""

from __future__ import annotations

from huleedu_service_libs.app import (
    HuleEduApp,
    create_service_app,
    eager_metrics,
    production_app_of,
    redis_check,
    serve_service,
)
from huleedu_service_libs.config import load_settings
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.engines import build_engine
from services.cj_assessment_service.api.anchor_routes import anchor_blueprint
from services.cj_assessment_service.api.assessment_routes import assessment_blueprint
from services.cj_assessment_service.api.errors import register_conflict_handler
from services.cj_assessment_service.config import SERVICE_NAME, Settings
from services.cj_assessment_service.metrics import CJMetrics
from services.cj_assessment_service.startup_setup import build_container


def create_app(settings: Settings | None = None) -> HuleEduApp:
    settings = settings or load_settings(Settings)
    engine = build_engine(settings)
    # One registry for the container's metrics (CJ's own, the defaults) and the app's, so
    # /metrics serves them all.
    registry = new_registry()
    app = create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine, registry=registry),
        database_engine=engine,
        blueprints=[assessment_blueprint(), anchor_blueprint()],
        health_checks=[redis_check(settings.REDIS_URL)],
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        max_content_length=settings.MAX_REQUEST_BYTES,
        registry=registry,
    )
    register_conflict_handler(app)
    eager_metrics(app, CJMetrics)
    return app


def production_app() -> HuleEduApp:
    """What each server process runs: settings from the environment, logging configured."""
    return production_app_of(SERVICE_NAME, load_settings(Settings), create_app)


def main() -> None:
    factory = "services.cj_assessment_service.app:production_app"
    serve_service(SERVICE_NAME, load_settings(Settings), factory)


if __name__ == "__main__":
    main()
