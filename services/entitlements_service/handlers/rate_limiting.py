"""Sliding-window rate limits per subject and metric, over the policy's windows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from huleedu_service_libs.logging_utils import create_service_logger
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.policy import MetricPolicy
from services.entitlements_service.domain.rate_limits import RateVerdict, decide
from services.entitlements_service.protocols import RateLimitStore

logger = create_service_logger("entitlements_service.rate_limits")


def window_key(subject: Subject, metric: str) -> str:
    return f"entitlements:ratelimit:{subject.key}:{metric}"


@dataclass(frozen=True)
class RateGrant:
    """Usage recorded in a subject's windows, which `RateLimiter.undo` can give back."""

    key: str
    limits: list[tuple[int, int]]
    quantity: int
    token: str


@dataclass
class RateLimiter:
    """Redis trouble lets requests through (logged): rate limits protect, credits are the money."""

    store: RateLimitStore
    enabled: bool = True

    async def peek(
        self, subject: Subject, metric: str, policy: MetricPolicy, quantity: int, now: datetime
    ) -> RateVerdict:
        limits = _limits(policy)
        if not limits or not self.enabled:
            return RateVerdict.unlimited()
        try:
            windows = await self.store.windows(window_key(subject, metric), limits, now.timestamp())
        except Exception as error:  # any store failure: fail open, never block a charge
            logger.warning("rate limit store unavailable", error=str(error))
            return RateVerdict.unlimited()
        return decide(windows, quantity)

    async def acquire(
        self, subject: Subject, metric: str, policy: MetricPolicy, quantity: int, now: datetime
    ) -> tuple[RateVerdict, RateGrant | None]:
        """The verdict and, when usage was recorded, the grant that undoes it."""
        limits = _limits(policy)
        if not limits or not self.enabled:
            return RateVerdict.unlimited(), None
        token = uuid.uuid4().hex
        key = window_key(subject, metric)
        try:
            windows = await self.store.acquire(key, limits, quantity, token, now.timestamp())
        except Exception as error:  # any store failure: fail open, never block a charge
            logger.warning("rate limit store unavailable", error=str(error))
            return RateVerdict.unlimited(), None
        verdict = decide(windows, quantity)
        return verdict, RateGrant(key, limits, quantity, token) if verdict.allowed else None

    async def undo(self, grant: RateGrant | None) -> None:
        if grant is None:
            return
        try:
            await self.store.release(grant.key, grant.limits, grant.quantity, grant.token)
        except Exception as error:  # best effort: the window forgets it on its own
            logger.warning("rate limit usage not released", error=str(error))


def _limits(policy: MetricPolicy) -> list[tuple[int, int]]:
    return [(limit.count, limit.window_seconds) for limit in policy.rate_limits]
