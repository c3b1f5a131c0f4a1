"""The service app skeleton: HuleEduApp, its factory, /healthz and /metrics."""

from huleedu_service_libs.app.factory import create_service_app
from huleedu_service_libs.app.health import (
    HealthCheck,
    Probe,
    kafka_check,
    redis_check,
    register_health_route,
    run_health_checks,
)
from huleedu_service_libs.app.huleedu_app import HuleEduApp, MissingAppDependencyError
from huleedu_service_libs.app.metrics import (
    UNMATCHED_ROUTE,
    HttpMetrics,
    eager_metrics,
    setup_request_metrics,
)
from huleedu_service_libs.app.production import production_app_of, serve_service
from huleedu_service_libs.app.serving import ACCESS_LOGGER, serve_http

__all__ = [
    "ACCESS_LOGGER",
    "UNMATCHED_ROUTE",
    "HealthCheck",
    "HttpMetrics",
    "HuleEduApp",
    "MissingAppDependencyError",
    "Probe",
    "create_service_app",
    "eager_metrics",
    "kafka_check",
    "production_app_of",
    "redis_check",
    "register_health_route",
    "run_health_checks",
    "serve_http",
    "serve_service",
    "setup_request_metrics",
]
