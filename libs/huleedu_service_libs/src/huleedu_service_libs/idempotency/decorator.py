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

import structlog
from prometheus_client import CollectorRegistry

from huleedu_service_libs.idempotency.metrics import IdempotencyMetrics, metrics_for
from huleedu_service_libs.redis.client import AtomicRedisClientProtocol

P = ParamSpec("P")
R = TypeVar("R")

DONE = "done"
IN_FLIGHT_PREFIX = "in_flight:"
logger = structlog.get_logger("huleedu.idempotency")


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
    ttl_seconds: int = 86400,
    *,
    service_name: str | None = None,
    in_flight_ttl_seconds: int = 300,
    fail_open: bool = False,
    registry: CollectorRegistry | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R | None]]]:
    """Guards a handler whose first argument is an EventEnvelope or a Kafka ConsumerRecord
    (seed 004's `handle_message(msg)`). Keys are namespaced by `service_name`, by default the
    Redis client's `client_id`.

    With a `registry`, outcomes are counted in `huleedu_idempotency_outcomes_total`
    (`processed`, `duplicate`, `in_flight`, `failed`, `unavailable`).
    """
    guard = _Guard(
        redis=redis_client,
        service_name=service_name or redis_client.client_id,
        ttl_seconds=ttl_seconds,
        in_flight_ttl_seconds=in_flight_ttl_seconds,
        fail_open=fail_open,
        metrics=metrics_for(registry),
    )

    def decorate(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
        @functools.wraps(handler)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            return await guard.run(event_id_of(args[0]), lambda: handler(*args, **kwargs))

        return wrapper

    return decorate


class _Guard:
    def __init__(
        self,
        *,
        redis: AtomicRedisClientProtocol,
        service_name: str,
        ttl_seconds: int,
        in_flight_ttl_seconds: int,
        fail_open: bool,
        metrics: IdempotencyMetrics | None,
    ) -> None:
        self.redis = redis
        self.service_name = service_name
        self.ttl_seconds = ttl_seconds
        self.in_flight_ttl_seconds = in_flight_ttl_seconds
        self.fail_open = fail_open
        self.metrics = metrics

    async def run(self, event_id: str, call: Callable[[], Awaitable[R]]) -> R | None:
        key = idempotency_key(self.service_name, event_id)
        claim = f"{IN_FLIGHT_PREFIX}{uuid.uuid4().hex}"
        try:
            claimed = await self.redis.set_if_absent(key, claim, self.in_flight_ttl_seconds)
            state = None if claimed else await self.redis.get(key)
        except Exception as error:  # any Redis failure: decide by fail_open, never guess
            return await self._unavailable(key, error, call)
        if not claimed:
            self._refuse_duplicate(key, state)
            return None
        return await self._run_claimed(key, claim, call)

    async def _unavailable(self, key: str, error: Exception, call: Callable[[], Awaitable[R]]) -> R:
        self._count("unavailable")
        if not self.fail_open:
            raise IdempotencyUnavailableError(f"cannot claim {key}: {error}") from error
        logger.warning("idempotency unavailable, running unprotected", key=key, error=str(error))
        return await call()

    def _refuse_duplicate(self, key: str, state: str | None) -> None:
        if state is not None and state.startswith(IN_FLIGHT_PREFIX):
            self._count("in_flight")
            raise EventInFlightError(f"{key} is being handled by another delivery")
        self._count("duplicate")
        logger.info("duplicate event skipped", key=key)

    async def _run_claimed(self, key: str, claim: str, call: Callable[[], Awaitable[R]]) -> R:
        try:
            result = await call()
        except BaseException:
            self._count("failed")
            await self._release(key, claim)
            raise
        await self._mark_done(key)
        self._count("processed")
        return result

    async def _release(self, key: str, claim: str) -> None:
        try:
            await self.redis.delete_if_equals(key, claim)
        except Exception as error:  # the handler's own exception matters more; the claim expires
            logger.error("could not release claim", key=key, error=str(error))

    async def _mark_done(self, key: str) -> None:
        # The effect has happened. Raising now would make the runtime redeliver and, once the
        # in-flight claim expires, run the handler a second time; the claim's TTL guards instead.
        try:
            await self.redis.set(key, DONE, self.ttl_seconds)
        except Exception as error:
            logger.error(
                "handled, but could not mark done; the in-flight claim guards until it expires",
                key=key,
                error=str(error),
                in_flight_ttl_seconds=self.in_flight_ttl_seconds,
            )

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.outcomes.labels(self.service_name, outcome).inc()
