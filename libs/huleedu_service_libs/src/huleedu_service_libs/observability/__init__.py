"""Traces (OpenTelemetry) and database monitoring of every service process; see README.md."""

from huleedu_service_libs.observability.database import (
    DatabaseHealthChecker,
    DatabaseMetrics,
    setup_database_monitoring,
)
from huleedu_service_libs.observability.propagation import current_trace_context
from huleedu_service_libs.observability.tracing import (
    exporting_to,
    setup_tracing,
    shutdown_tracing,
    tracer_provider_of,
)

__all__ = [
    "DatabaseHealthChecker",
    "DatabaseMetrics",
    "current_trace_context",
    "exporting_to",
    "setup_database_monitoring",
    "setup_tracing",
    "shutdown_tracing",
    "tracer_provider_of",
]
