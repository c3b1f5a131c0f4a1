"""One breaker per dependency name, shared by every client that calls that dependency (seed 004)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from huleedu_service_libs.resilience.circuit_breaker import CircuitBreaker, Clock

if TYPE_CHECKING:
    from huleedu_service_libs.config import SecureServiceSettings


class CircuitBreakerRegistry:
    """`get(name)` creates the breaker on first use with the registry's thresholds and returns
    the same one afterwards, so every caller of a dependency sees its one circuit."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._failure_threshold = failure_threshold
        self._recovery_timeout = recovery_timeout
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    @classmethod
    def from_settings(
        cls, settings: SecureServiceSettings, *, clock: Clock = time.monotonic
    ) -> CircuitBreakerRegistry:
        return cls(
            failure_threshold=settings.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
            recovery_timeout=settings.CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS,
            clock=clock,
        )

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = self._breakers[name] = CircuitBreaker(
                name,
                failure_threshold=self._failure_threshold,
                recovery_timeout=self._recovery_timeout,
                clock=self._clock,
            )
        return breaker
