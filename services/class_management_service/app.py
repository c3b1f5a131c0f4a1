"""The HTTP app: `hypercorn 'services.class_management_service.app:create_app()'`, or
`python -m services.class_management_service.app`."""

from __future__ import annotations

import asyncio

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from prometheus_client import CollectorRegistry

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.logging_utils import configure_logging, route_hypercorn_logs
from services.class_management_service.api.association_routes import association_blueprint
from services.class_management_service.api.class_routes import class_blueprint
from services.class_management_service.api.errors import register_domain_error_handlers
from services.class_management_service.api.student_routes import student_blueprint
from services.class_management_service.config import (
    SERVICE_NAME,
    Settings,
    load_service_settings,
)
from services.class_management_service.startup_setup import build_container, build_engine


def create_app(settings: Settings | None = None) -> HuleEduApp:
    """With no settings (`hypercorn '…:create_app()'`), reads them and sets up logging too."""
    if settings is None:
        settings = load_service_settings()
        configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    engine = build_engine(settings)
    registry = CollectorRegistry()
    app = create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine, registry),
        database_engine=engine,
        blueprints=[student_blueprint(), class_blueprint(), association_blueprint()],
        # Redis is left out on purpose: it only carries best-effort notifications and wake-ups,
        # so its absence must not take the API out of rotation.
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        registry=registry,
        max_content_length=settings.MAX_IMPORT_BYTES,
    )
    register_domain_error_handlers(app)
    return app


def main() -> None:
    settings = load_service_settings()
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    config = HypercornConfig()
    config.bind = [f"{settings.HTTP_HOST}:{settings.HTTP_PORT}"]
    route_hypercorn_logs(config)
    asyncio.run(serve(create_app(settings), config))


if __name__ == "__main__":
    main()
