"""The HTTP app. `python -m services.entitlements_service.app` serves it (Uvicorn, HTTP_WORKERS
processes); `production_app` is the factory each server process calls."""

from __future__ import annotations

from dishka import Provider

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
from services.entitlements_service.api.admin_routes import admin_blueprint
from services.entitlements_service.api.errors import register_refusal_metrics
from services.entitlements_service.api.internal_routes import internal_blueprint
from services.entitlements_service.api.teacher_routes import teacher_blueprint
from services.entitlements_service.config import SERVICE_NAME, Settings
from services.entitlements_service.metrics import EntitlementsMetrics
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
    register_refusal_metrics(app)
    eager_metrics(app, EntitlementsMetrics)
    return app


def production_app() -> HuleEduApp:
    """Settings from the environment and logging configured: what each server process runs."""
    return production_app_of(SERVICE_NAME, load_settings(Settings), create_app)


def main() -> None:
    app_factory = "services.entitlements_service.app:production_app"
    serve_service(SERVICE_NAME, load_settings(Settings), app_factory)


if __name__ == "__main__":
    main()
