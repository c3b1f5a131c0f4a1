"""Small pieces the handlers share: hold limits and responses, the rate-limit gate, held moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from common_core.models.entitlements_api import AuthorizationResponse
from huleedu_service_libs.clock import Clock
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.errors import InvalidRequestError, RateLimitedError
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.policy import MetricPolicy
from services.entitlements_service.handlers.events import emit_rate_limit_exceeded
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.protocols import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class HoldLimits:
    default_ttl_seconds: int
    max_ttl_seconds: int

    def ttl(self, requested: int | None) -> timedelta:
        seconds = requested or self.default_ttl_seconds
        if seconds > self.max_ttl_seconds:
            raise InvalidRequestError(
                f"ttl_seconds may be at most {self.max_ttl_seconds}", ttl_seconds=seconds
            )
        return timedelta(seconds=seconds)


def hold_response(hold: Hold, replay: bool = False) -> AuthorizationResponse:
    return AuthorizationResponse(
        authorization_id=hold.authorization_id,
        status=hold.status,
        metric=hold.metric,
        charged_subject_type=hold.payer.type,
        charged_subject_id=hold.payer.id,
        credits_reserved=hold.credits_reserved,
        credits_consumed=hold.credits_consumed,
        credits_remaining=hold.remaining,
        expires_at=hold.expires_at,
        idempotent_replay=replay,
    )


async def shift_held(uow: UnitOfWork, payer: Subject, delta: int, held_delta: int) -> Balance:
    """A move within what a hold reserved: it cannot fail unless the books are broken."""
    after = await uow.accounts.move(payer, delta, held_delta)
    if after is None:
        raise RuntimeError(f"held credits of {payer.key} do not cover an active hold")
    return after


@dataclass(frozen=True, slots=True)
class RateUsage:
    user_id: str
    metric: str
    quantity: int
    policy: MetricPolicy


@asynccontextmanager
async def rate_checked(
    limiter: RateLimiter,
    clock: Clock,
    uows: UnitOfWorkFactory,
    usage: RateUsage,
    correlation_id: UUID,
    before_refusal: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[None]:
    """Records the usage in the user's windows for the body; a refusal is announced in a unit of
    work of its own and raised, unless `before_refusal` raises first (a repeat is answered, not
    refused); a failing body gives the usage back."""
    subject = Subject.user(usage.user_id)
    now = clock.now()
    verdict, grant = await limiter.acquire(subject, usage.metric, usage.policy, usage.quantity, now)
    window = verdict.window
    if not verdict.allowed and window is not None:
        if before_refusal is not None:
            await before_refusal()
        async with uows() as uow:
            emit_rate_limit_exceeded(uow, subject, usage.metric, window, correlation_id, now)
            await uow.commit()
        raise RateLimitedError(
            usage.metric, window.limit, window.window_seconds, window.retry_after_seconds
        )
    try:
        yield
    except BaseException:
        await limiter.undo(grant)
        raise
