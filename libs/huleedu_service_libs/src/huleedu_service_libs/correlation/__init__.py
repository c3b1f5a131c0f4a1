"""Correlation ids: parse, carry through the task, echo, and hand out via Dishka."""

from huleedu_service_libs.correlation.context import (
    CORRELATION_NAMESPACE,
    MAX_ORIGINAL_LENGTH,
    CorrelationContext,
)
from huleedu_service_libs.correlation.envelopes import (
    ORIGINAL_CORRELATION_KEY,
    correlation_of,
    with_original_correlation,
)
from huleedu_service_libs.correlation.middleware import (
    CORRELATION_HEADER,
    request_correlation,
    setup_correlation_middleware,
)
from huleedu_service_libs.correlation.provider import CorrelationProvider
from huleedu_service_libs.correlation.scope import (
    MissingCorrelationError,
    correlation_scope,
    current_correlation,
    require_correlation,
)

__all__ = [
    "CORRELATION_HEADER",
    "CORRELATION_NAMESPACE",
    "MAX_ORIGINAL_LENGTH",
    "ORIGINAL_CORRELATION_KEY",
    "CorrelationContext",
    "CorrelationProvider",
    "MissingCorrelationError",
    "correlation_of",
    "correlation_scope",
    "current_correlation",
    "request_correlation",
    "require_correlation",
    "setup_correlation_middleware",
    "with_original_correlation",
]
