"""The gateway's HTTP app. `python -m services.api_gateway_service.app` serves it (Uvicorn);
`production_app` is the factory each server process calls."""

from __future__ import annotations

import json

import redis.asyncio as redis_asyncio
from quart import Quart, Response

from huleedu_service_libs.app import redis_check, register_health_route, serve_http
from huleedu_service_libs.app.access_log import setup_access_log
from huleedu_service_libs.app.docs import setup_swagger_ui
from huleedu_service_libs.app.metrics import setup_request_metrics
from huleedu_service_libs.config import load_settings
from huleedu_service_libs.correlation import setup_correlation_middleware
from huleedu_service_libs.di import new_registry
from huleedu_service_libs.error_handling import register_error_handlers
from huleedu_service_libs.gc_tuning import tune_garbage_collector
from huleedu_service_libs.logging_utils import configure_logging
from services.api_gateway_service.config import SERVICE_NAME, Settings
from services.api_gateway_service.cors import Cors
from services.api_gateway_service.openapi_merge import MergedOpenAPI
from services.api_gateway_service.proxy import GatewayApp, Proxy
from services.api_gateway_service.rate_limit import RateLimiter
from services.api_gateway_service.routes import Routes
from services.api_gateway_service.tokens import TokenVerifier
from services.api_gateway_service.upstream import Upstream


def create_app(settings: Settings | None = None) -> GatewayApp:
    settings = settings or load_settings(Settings)
    app = Quart(SERVICE_NAME)
    setup_correlation_middleware(app)
    register_error_handlers(app, SERVICE_NAME)
    metrics = setup_request_metrics(app, new_registry())
    setup_access_log(app)
    register_health_route(
        app,
        SERVICE_NAME,
        [redis_check(settings.REDIS_URL)],
        settings.HEALTH_CHECK_TIMEOUT_SECONDS,
    )
    setup_swagger_ui(app, "HuleEdu API")
    upstream = Upstream(settings)
    redis = redis_asyncio.from_url(
        settings.REDIS_URL, socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS
    )
    routes = Routes(settings.service_urls())
    _serve_openapi(app, MergedOpenAPI(routes, upstream.client))

    async def release() -> None:
        await upstream.aclose()
        await redis.aclose()

    app.after_serving(release)
    proxy = Proxy(
        routes=routes,
        verifier=TokenVerifier(settings),
        limiter=RateLimiter(redis, settings.RATE_LIMIT_PER_MINUTE),
        upstream=upstream,
        cors=Cors(settings.cors_origins, settings.CORS_MAX_AGE_SECONDS),
        metrics=metrics,
        signing_secret=settings.GATEWAY_SIGNING_SECRET.get_secret_value(),
        max_request_bytes=settings.MAX_REQUEST_BYTES,
    )
    return GatewayApp(proxy, app)


def _serve_openapi(app: Quart, merged: MergedOpenAPI) -> None:
    async def openapi_document() -> Response:
        return Response(json.dumps(await merged.document()), mimetype="application/json")

    app.add_url_rule("/openapi.json", "openapi", openapi_document, methods=["GET"])


def production_app() -> GatewayApp:
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    app = create_app(settings)
    tune_garbage_collector()
    return app


def main() -> None:
    settings = load_settings(Settings)
    configure_logging(SERVICE_NAME, settings.ENVIRONMENT.value, settings.LOG_LEVEL)
    serve_http(
        "services.api_gateway_service.app:production_app",
        host=settings.HTTP_HOST,
        port=settings.HTTP_PORT,
        workers=settings.HTTP_WORKERS,
    )


if __name__ == "__main__":
    main()
