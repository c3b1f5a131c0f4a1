"""@idempotent_consumer: a handler's effect happens once per event_id, in the face of redelivery.

States of the key `huleedu:idempotency:<service>:<event_id>`:
- absent: nobody has handled the event; the first delivery claims it (SET NX, short TTL);
- `in_flight:<token>`: a delivery is running; a concurrent duplicate raises EventInFlightError so
  the consumer runtime retries it later, after the outcome is known;
- `done`: handled; duplicates are skipped for `ttl_seconds`.
A handler that raises releases its claim (only its own) and the exception propagates, so it runs
exactly once per delivery attempt. When Redis is down the handler does not run unprotected: the
decorator raises IdempotencyUnavailableError, unless `fail_open=True` for harmless handlers.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from huleedu_service_libs.redis.client import AtomicRedisClientProtocol

P = ParamSpec("P")
R = TypeVar("R")

DONE = "done"
IN_FLIGHT_PREFIX = "in_flight:"


class EventInFlightError(RuntimeError):
    """Another delivery of the same event is being handled right now: retry later."""


class IdempotencyUnavailableError(RuntimeError):
    """Redis could not be asked, so the handler was not run."""


def idempotency_key(service_name: str, event_id: str) -> str:
    return f"huleedu:idempotency:{service_name}:{event_id}"


def event_id_of(message: Any) -> str:
    """From an EventEnvelope (`event_id`) or a Kafka record (the `event_id` header)."""
    if hasattr(message, "event_id"):
        return str(message.event_id)
    for name, value in getattr(message, "headers", None) or ():
        if name == "event_id":
            return bytes(value).decode()
    raise TypeError(f"cannot find an event_id on {type(message).__name__}")


def idempotent_consumer(
    redis_client: AtomicRedisClientProtocol,
    service_name: str,
    ttl_seconds: int = 86400,
    in_flight_ttl_seconds: int = 300,
    fail_open: bool = False,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R | None]]]:
    guard = _Guard(redis_client, service_name, ttl_seconds, in_flight_ttl_seconds, fail_open)

    def decorate(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
        @functools.wraps(handler)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            return await guard.run(event_id_of(args[0]), lambda: handler(*args, **kwargs))

        return wrapper

    return decorate


class _Guard:
    def __init__(
        self,
        redis_client: AtomicRedisClientProtocol,
        service_name: str,
        ttl_seconds: int,
        in_flight_ttl_seconds: int,
        fail_open: bool,
    ) -> None:
        self.redis = redis_client
        self.service_name = service_name
        self.ttl_seconds = ttl_seconds
        self.in_flight_ttl_seconds = in_flight_ttl_seconds
        self.fail_open = fail_open
        self.duplicates_skipped = 0

    async def run(self, event_id: str, call: Callable[[], Awaitable[R]]) -> R | None:
        key = idempotency_key(self.service_name, event_id)
        claim = f"{IN_FLIGHT_PREFIX}{uuid.uuid4().hex}"
        try:
            claimed = await self.redis.set_if_absent(key, claim, self.in_flight_ttl_seconds)
        except Exception as error:  # any Redis failure: decide by fail_open, never guess
            if self.fail_open:
                return await call()
            raise IdempotencyUnavailableError(f"cannot claim {key}: {error}") from error
        if not claimed:
            await self._skip_duplicate(key)
            return None
        return await self._run_claimed(key, claim, call)

    async def _skip_duplicate(self, key: str) -> None:
        state = await self.redis.get(key)
        if state is not None and state.startswith(IN_FLIGHT_PREFIX):
            raise EventInFlightError(f"{key} is being handled by another delivery")
        self.duplicates_skipped += 1

    async def _run_claimed(self, key: str, claim: str, call: Callable[[], Awaitable[R]]) -> R:
        try:
            result = await call()
        except BaseException:
            await self.redis.delete_if_equals(key, claim)
            raise
        await self.redis.set(key, DONE, self.ttl_seconds)
        return result
