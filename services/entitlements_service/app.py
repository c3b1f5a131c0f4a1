"""The HTTP app. `python -m services.entitlements_service.app` serves it (Uvicorn, HTTP_WORKERS
processes); `production_app` is the factory each server process calls."""

from __future__ import annotations

from dishka import Provider

from huleedu_service_libs.app import HuleEduApp, create_service_app, redis_check, serve_http
from huleedu_service_libs.config import load_settings
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from services.entitlements_service.api.admin_routes import admin_blueprint
from services.entitlements_service.api.errors import register_refusal_metrics
from services.entitlements_service.api.internal_routes import internal_blueprint
from services.entitlements_service.api.teacher_routes import teacher_blueprint
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.metrics import EXTENSION, EntitlementsMetrics
from services.entitlements_service.startup_setup import build_container, load_policies


def create_app(settings: Settings | None = None, *overrides: Provider) -> HuleEduApp:
    """`overrides` replace providers (tests swap the clock this way, never by patching)."""
    settings = settings or load_settings(Settings)
    policies = load_policies(settings)
    engine = build_engine(settings)
    registry = new_registry()
    app = create_service_app(
        service_name=SERVICE_NAME,
        container=build_container(settings, engine, policies, *overrides, registry=registry),
        database_engine=engine,
        blueprints=[internal_blueprint(), teacher_blueprint(), admin_blueprint()],
        health_checks=[redis_check(settings.REDIS_URL)],
        health_check_timeout_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        max_content_length=settings.MAX_REQUEST_BYTES,
        registry=registry,
    )
    app.extensions[EXTENSION] = EntitlementsMetrics(registry)
    register_refusal_metrics(app)
    return app


def production_app() -> HuleEduApp:
    """Settings from the environment and logging configured: what each server process runs."""
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    app = create_app(settings)
    tune_garbage_collector()
    return app


def main() -> None:
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    serve_http(
        "services.entitlements_service.app:production_app",
        host=settings.HTTP_HOST,
        port=settings.HTTP_PORT,
        workers=settings.HTTP_WORKERS,
    )


if __name__ == "__main__":
    main()
