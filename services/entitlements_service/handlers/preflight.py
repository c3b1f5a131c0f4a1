"""Preflight: advisory answers (nothing reserved, nothing written). Holds are what reserve."""

from __future__ import annotations

from dataclasses import dataclass

from common_core.domain_enums import CreditSubjectType
from common_core.models.entitlements_api import (
    BulkCreditCheckRequest,
    BulkCreditCheckResponse,
    CreditCheckDenial,
    CreditCheckRequest,
    CreditCheckResponse,
    MetricCheckResult,
    MetricQuantity,
    RateLimitVerdict,
)
from huleedu_service_libs.clock import Clock
from services.entitlements_service.domain.accounts import Actor, Balance, Subject, choose_payer
from services.entitlements_service.domain.errors import InvalidRequestError
from services.entitlements_service.domain.policy import CreditPolicy
from services.entitlements_service.domain.rate_limits import RateVerdict
from services.entitlements_service.handlers.accounts import available_balances
from services.entitlements_service.handlers.consumption import checked_quantity
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.protocols import UnitOfWorkFactory


def verdict_model(verdict: RateVerdict) -> RateLimitVerdict:
    window = verdict.window
    if window is None:
        return RateLimitVerdict(allowed=verdict.allowed)
    return RateLimitVerdict(
        allowed=verdict.allowed,
        limit=window.limit,
        remaining=window.remaining,
        window_seconds=window.window_seconds,
        retry_after_seconds=0 if verdict.allowed else window.retry_after_seconds,
    )


class _Verdict:
    """The shared decision of single and bulk checks."""

    def __init__(self, balances: list[Balance], required: int) -> None:
        self.payer = choose_payer(balances, required)
        self.available = max(balance.available for balance in balances)

    @property
    def source(self) -> CreditSubjectType | None:
        return None if self.payer is None else self.payer.subject.type


@dataclass
class CheckCredits:
    uows: UnitOfWorkFactory
    policies: PolicyStore
    limiter: RateLimiter
    clock: Clock
    max_bulk: int

    async def single(self, request: CreditCheckRequest) -> CreditCheckResponse:
        bulk = BulkCreditCheckRequest(
            user_id=request.user_id,
            org_id=request.org_id,
            requirements=[MetricQuantity(metric=request.metric, quantity=request.quantity)],
        )
        answer = await self.bulk(bulk)
        rate_limit = answer.results[0].rate_limit if answer.results else None
        return CreditCheckResponse(
            allowed=answer.allowed,
            required_credits=answer.required_credits,
            available_credits=answer.available_credits,
            source=answer.source,
            denial=answer.denial,
            reason=answer.reason,
            rate_limit=rate_limit or RateLimitVerdict(allowed=True),
        )

    async def bulk(self, request: BulkCreditCheckRequest) -> BulkCreditCheckResponse:
        if len(request.requirements) > self.max_bulk:
            raise InvalidRequestError(
                f"at most {self.max_bulk} requirements per check", count=len(request.requirements)
            )
        for item in request.requirements:
            checked_quantity(item.quantity)
        policy = self.policies.current
        actor = Actor(request.user_id, request.org_id)
        async with self.uows() as uow:
            balances = await available_balances(uow, actor, policy)
        unknown = [item.metric for item in request.requirements if not policy.metric(item.metric)]
        if unknown:
            return self._unknown(balances, unknown)
        results = [await self._result(actor, item, policy) for item in request.requirements]
        return self._decide(balances, results)

    async def _result(
        self, actor: Actor, item: MetricQuantity, policy: CreditPolicy
    ) -> MetricCheckResult:
        metric_policy = policy.metric(item.metric)
        assert metric_policy is not None  # unknown metrics were answered before
        verdict = await self.limiter.peek(
            Subject.user(actor.user_id), item.metric, metric_policy, item.quantity, self.clock.now()
        )
        return MetricCheckResult(
            metric=item.metric,
            quantity=item.quantity,
            required_credits=item.quantity * metric_policy.cost_per_unit,
            rate_limit=verdict_model(verdict),
        )

    def _decide(
        self, balances: list[Balance], results: list[MetricCheckResult]
    ) -> BulkCreditCheckResponse:
        required = sum(result.required_credits for result in results)
        verdict = _Verdict(balances, required)
        limited = [result.metric for result in results if not result.rate_limit.allowed]
        denial, reason = None, None
        if limited:
            denial, reason = CreditCheckDenial.RATE_LIMITED, f"rate limited: {', '.join(limited)}"
        elif verdict.payer is None:
            denial = CreditCheckDenial.INSUFFICIENT_CREDITS
            reason = f"{required} credits required, {verdict.available} available"
        return BulkCreditCheckResponse(
            allowed=denial is None,
            required_credits=required,
            available_credits=verdict.available,
            source=verdict.source,
            denial=denial,
            reason=reason,
            results=results,
        )

    def _unknown(self, balances: list[Balance], unknown: list[str]) -> BulkCreditCheckResponse:
        return BulkCreditCheckResponse(
            allowed=False,
            required_credits=0,
            available_credits=max(balance.available for balance in balances),
            denial=CreditCheckDenial.UNKNOWN_METRIC,
            reason=f"not in the credit policy: {', '.join(sorted(set(unknown)))}",
            results=[],
        )
