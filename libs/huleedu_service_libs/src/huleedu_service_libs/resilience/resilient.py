"""`make_resilient(client, breaker)` (seed 004): the client with every coroutine method called
through the breaker; other attributes are the client's own."""

from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar, cast

from huleedu_service_libs.resilience.circuit_breaker import CircuitBreaker

T = TypeVar("T")


def make_resilient(client: T, breaker: CircuitBreaker) -> T:
    """An open circuit raises CircuitOpenError from the method, without calling the client."""
    return cast(T, _Resilient(client, breaker))


class _Resilient:
    def __init__(self, client: object, breaker: CircuitBreaker) -> None:
        self._resilient_client = client
        self._resilient_breaker = breaker

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._resilient_client, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        breaker = self._resilient_breaker

        @functools.wraps(attribute)
        async def through_breaker(*args: Any, **kwargs: Any) -> Any:
            return await breaker.call(attribute, *args, **kwargs)

        return through_breaker

    def __repr__(self) -> str:
        return f"make_resilient({self._resilient_client!r}, {self._resilient_breaker.name!r})"
