"""Failing fast on a dependency that keeps failing."""

from huleedu_service_libs.resilience.circuit_breaker import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    Clock,
)
from huleedu_service_libs.resilience.registry import CircuitBreakerRegistry
from huleedu_service_libs.resilience.resilient import make_resilient

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "CircuitBreakerRegistry",
    "CircuitOpenError",
    "Clock",
    "make_resilient",
]
