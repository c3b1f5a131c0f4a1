"""Failing fast on a dependency that keeps failing."""

from huleedu_service_libs.resilience.circuit_breaker import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    Clock,
)

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpenError", "Clock"]
