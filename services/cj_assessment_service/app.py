"""The HTTP app. `python -m services.cj_assessment_service.app` serves it (Uvicorn);
`production_app` is the factory the server process calls."""

from __future__ import annotations

from huleedu_service_libs.app import HuleEduApp, create_service_app, redis_check, serve_http
from huleedu_service_libs.config import load_settings
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from services.cj_assessment_service.api.anchor_routes import anchor_blueprint
from services.cj_assessment_service.api.assessment_routes import assessment_blueprint
from services.cj_assessment_service.api.errors import register_conflict_handler
from services.cj_assessment_service.config import SERVICE_NAME, Settings
from services.cj_assessment_service.startup_setup import build_container


def create_app(settings: Settings | None = None) -> HuleEduApp:
    settings = settings or load_settings(Settings)
    engine = build_engine(settings)
    app = create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine),
        database_engine=engine,
        blueprints=[assessment_blueprint(), anchor_blueprint()],
        health_checks=[redis_check(settings.REDIS_URL)],
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        max_content_length=settings.MAX_REQUEST_BYTES,
    )
    register_conflict_handler(app)
    return app


def production_app() -> HuleEduApp:
    """Settings from the environment and logging configured: what the server process runs."""
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    app = create_app(settings)
    tune_garbage_collector()
    return app


def main() -> None:
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    serve_http(
        "services.cj_assessment_service.app:production_app",
        host=settings.HTTP_HOST,
        port=settings.HTTP_PORT,
    )


if __name__ == "__main__":
    main()
