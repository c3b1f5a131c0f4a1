"""The HTTP app. `python -m services.class_management_service.app` serves it (Uvicorn);
`production_app` is the factory the server process calls."""

from __future__ import annotations

from huleedu_service_libs.app import (
    HuleEduApp,
    create_service_app,
    eager_metrics,
    production_app_of,
    serve_service,
)
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.engines import build_engine
from services.class_management_service.api.association_routes import association_blueprint
from services.class_management_service.api.class_routes import class_blueprint
from services.class_management_service.api.student_routes import student_blueprint
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.metrics import ClassManagementMetrics
from services.class_management_service.startup_setup import build_container


def create_app(settings: Settings | None = None) -> HuleEduApp:
    settings = settings or load_service_settings()
    engine = build_engine(settings)
    registry = new_registry()
    app = create_service_app(
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
    eager_metrics(app, ClassManagementMetrics)
    return app


def production_app() -> HuleEduApp:
    """What each server process runs: settings from the environment, logging configured."""
    return production_app_of(SERVICE_NAME, load_service_settings(), create_app)


def main() -> None:
    serve_service(
        SERVICE_NAME,
        load_service_settings(),
        "services.class_management_service.app:production_app",
    )


if __name__ == "__main__":
    main()
