"""Authorizations (holds): credits reserved for a job, consumed as it runs, the rest released."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from common_core.domain_enums import AuthorizationStatus
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.errors import (
    AuthorizationClosedError,
    InsufficientCreditsError,
)


@dataclass(frozen=True, slots=True)
class Hold:
    authorization_id: UUID
    payer: Subject
    user_id: str
    org_id: str | None
    metric: str
    quantity: int
    unit_cost: int
    credits_reserved: int
    expires_at: datetime
    idempotency_key: str
    fingerprint: str
    resource_id: str | None = None
    credits_consumed: int = 0
    status: AuthorizationStatus = AuthorizationStatus.ACTIVE

    @property
    def remaining(self) -> int:
        return self.credits_reserved - self.credits_consumed

    def is_open(self, now: datetime) -> bool:
        return self.status is AuthorizationStatus.ACTIVE and now < self.expires_at

    def consume(self, credits: int, now: datetime) -> Hold:
        self._require_open(now)
        if credits > self.remaining:
            raise InsufficientCreditsError(
                credits, self.remaining, authorization_id=str(self.authorization_id)
            )
        consumed = self.credits_consumed + credits
        status = (
            AuthorizationStatus.CONSUMED
            if consumed == self.credits_reserved
            else AuthorizationStatus.ACTIVE
        )
        return replace(self, credits_consumed=consumed, status=status)

    def release(self) -> Hold:
        return replace(self, status=AuthorizationStatus.RELEASED)

    def expire(self) -> Hold:
        return replace(self, status=AuthorizationStatus.EXPIRED)

    def _require_open(self, now: datetime) -> None:
        if self.status is AuthorizationStatus.ACTIVE and now >= self.expires_at:
            raise AuthorizationClosedError(self.authorization_id, AuthorizationStatus.EXPIRED)
        if self.status is not AuthorizationStatus.ACTIVE:
            raise AuthorizationClosedError(self.authorization_id, self.status)
