from __future__ import annotations

from collections.abc import Sequence

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry
from quart import Blueprint
from quart_dishka import QuartDishka
from quart_schema import Info, QuartSchema
from quart_schema.openapi import QUART_SCHEMA_HIDDEN_ATTRIBUTE
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.app.access_log import setup_access_log
from huleedu_service_libs.app.docs import setup_swagger_ui
from huleedu_service_libs.app.health import HealthCheck, register_health_route
from huleedu_service_libs.app.huleedu_app import HuleEduApp
from huleedu_service_libs.app.metrics import setup_request_metrics
from huleedu_service_libs.app.openapi import ServiceOpenAPIProvider, documented_response
from huleedu_service_libs.app.request_guard import RequestLimits, setup_request_guard
from huleedu_service_libs.correlation import setup_correlation_middleware
from huleedu_service_libs.error_handling import register_error_handlers
from huleedu_service_libs.observability.database import (
    DB_METRICS_EXTENSION,
    DatabaseHealthChecker,
    setup_database_monitoring,
)
from huleedu_service_libs.observability.instrumentation import trace_asgi
from huleedu_service_libs.observability.tracing import tracer_provider_of


def create_service_app(
    *,
    service_name: str,
    container: AsyncContainer,
    database_engine: AsyncEngine,
    blueprints: Sequence[Blueprint] = (),
    health_checks: Sequence[HealthCheck] = (),
    health_check_timeout_seconds: float = 2.0,
    registry: CollectorRegistry | None = None,
    max_content_length: int | None = None,
    request_limits: RequestLimits | None = None,
    version: str = "0.1.0",
    auto_inject: bool = False,
) -> HuleEduApp:
    app = HuleEduApp(service_name)
    # No redirects: `/v1/classes` and `/v1/classes/` are the same route, and `//` (an encoded
    # slash in a path value) matches nothing (404) instead of a 308 no document declares.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    app.container = container
    app.database_engine = database_engine
    if max_content_length is not None:
        app.config["MAX_CONTENT_LENGTH"] = max_content_length
    QuartSchema(
        app,
        info=Info(title=service_name, version=version),
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        openapi_provider_class=ServiceOpenAPIProvider,
    )
    setup_swagger_ui(app, service_name)
    setup_correlation_middleware(app)
    setup_request_guard(app, request_limits or RequestLimits())
    register_error_handlers(app, service_name)
    registry = registry or CollectorRegistry()
    setup_request_metrics(app, registry)
    app.extensions[DB_METRICS_EXTENSION] = setup_database_monitoring(
        database_engine, service_name, registry
    )
    setup_access_log(app)
    _trace_requests(app, service_name)
    database = DatabaseHealthChecker(database_engine, service_name)
    checks = [HealthCheck(database.name, database.probe), *health_checks]
    register_health_route(app, service_name, checks, health_check_timeout_seconds)
    _document_own_routes(app)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # After the blueprints: with auto_inject, QuartDishka wraps the views registered so far.
    QuartDishka(app=app, container=container, auto_inject=auto_inject)
    _release_resources_after_serving(app)
    return app


def _trace_requests(app: HuleEduApp, service_name: str) -> None:
    provider = tracer_provider_of(service_name)
    if provider is None:
        return
    trace_asgi(app, provider)

    async def flush() -> None:
        provider.force_flush()

    app.after_serving(flush)


def _document_own_routes(app: HuleEduApp) -> None:
    # Hidden where they are defined (any Quart app may mount them); a service's document lists
    # every route it answers.
    for endpoint in ("healthz", "metrics"):
        setattr(app.view_functions[endpoint], QUART_SCHEMA_HIDDEN_ATTRIBUTE, False)
    json_body = {"application/json": {"schema": {"type": "object"}}}
    documented_response(200, "Every check passed", json_body)(app.view_functions["healthz"])
    documented_response(503, "A check failed (`failing` names it)", json_body)(
        app.view_functions["healthz"]
    )
    text = {"text/plain": {"schema": {"type": "string"}}}
    documented_response(200, "Prometheus text format", text)(app.view_functions["metrics"])


def _release_resources_after_serving(app: HuleEduApp) -> None:
    async def release() -> None:
        await app.container.close()
        await app.database_engine.dispose()

    app.after_serving(release)
