from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from huleedu_service_libs.config import SecureServiceSettings

P = ParamSpec("P")
T = TypeVar("T")
Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(Exception):
    def __init__(self, name: str, retry_after_seconds: float) -> None:
        super().__init__(f"circuit {name!r} is open; retry in {retry_after_seconds:.1f}s")
        self.name = name
        self.retry_after_seconds = retry_after_seconds


def _every_exception(_: Exception) -> bool:
    return True


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; after `recovery_timeout` seconds one
    trial call is let through (half-open): success closes the circuit, failure opens it again."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        is_failure: Callable[[Exception], bool] = _every_exception,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self._failure_threshold = failure_threshold
        self._recovery_timeout = recovery_timeout
        self._is_failure = is_failure
        self._clock = clock
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @classmethod
    def from_settings(
        cls,
        name: str,
        settings: SecureServiceSettings,
        *,
        is_failure: Callable[[Exception], bool] = _every_exception,
        clock: Clock = time.monotonic,
    ) -> CircuitBreaker:
        return cls(
            name,
            failure_threshold=settings.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
            recovery_timeout=settings.CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS,
            is_failure=is_failure,
            clock=clock,
        )

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._recovery_timeout:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    async def call(self, func: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        self._admit()
        try:
            result = await func(*args, **kwargs)
        except Exception as error:
            self._settle(failed=self._is_failure(error))
            raise
        except BaseException:
            self._trial_in_flight = False  # cancelled: says nothing about the dependency
            raise
        self._settle(failed=False)
        return result

    def _admit(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            raise CircuitOpenError(self.name, self._seconds_until_trial())
        if state is BreakerState.HALF_OPEN:
            if self._trial_in_flight:
                raise CircuitOpenError(self.name, 0.0)
            self._trial_in_flight = True

    def _settle(self, *, failed: bool) -> None:
        self._trial_in_flight = False
        if not failed:
            self._consecutive_failures = 0
            self._opened_at = None
            return
        self._consecutive_failures += 1
        if self._opened_at is not None or self._consecutive_failures >= self._failure_threshold:
            self._opened_at = self._clock()

    def _seconds_until_trial(self) -> float:
        assert self._opened_at is not None
        return max(0.0, self._recovery_timeout - (self._clock() - self._opened_at))
