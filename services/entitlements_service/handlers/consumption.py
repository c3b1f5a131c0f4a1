"""Consumption: a metric's cost charged once per idempotency key, to org or user, never split.

The balance update (a conditional UPDATE: nothing is charged unless the whole amount is
available), the ledger row and the outbox events commit in one transaction.
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from common_core.domain_enums import CreditMovementReason
from common_core.models.entitlements_api import ConsumeCreditsRequest, ConsumeCreditsResponse
from services.entitlements_service.domain.accounts import Actor
from services.entitlements_service.domain.errors import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    UnknownMetricError,
)
from services.entitlements_service.domain.ledger import LedgerEntry, Movement, scoped_key
from services.entitlements_service.domain.policy import MAX_QUANTITY, CreditPolicy, MetricPolicy
from services.entitlements_service.handlers.accounts import move_for_first_payer
from services.entitlements_service.handlers.events import (
    emit_balance_changed,
    emit_usage_recorded,
)
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.support import RateUsage, rate_checked
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.protocols import Clock, UnitOfWork, UnitOfWorkFactory


class DuplicateRequestError(Exception):
    """The key already charged (a repeat, or a concurrent request that committed first); answer
    with that charge."""


def checked_quantity(quantity: int) -> int:
    if quantity > MAX_QUANTITY:
        raise InvalidRequestError(f"quantity may be at most {MAX_QUANTITY}", quantity=quantity)
    return quantity


def priced(policy: CreditPolicy, metric: str) -> MetricPolicy:
    metric_policy = policy.metric(metric)
    if metric_policy is None:
        raise UnknownMetricError(metric)
    return metric_policy


def consumption_movement(request: ConsumeCreditsRequest) -> Movement:
    return Movement(
        CreditMovementReason.CONSUMPTION,
        user_id=request.user_id,
        org_id=request.org_id,
        metric=request.metric,
        quantity=request.quantity,
        resource_id=request.resource_id,
    )


async def earlier_charge(uow: UnitOfWork, key: str, movement: Movement) -> LedgerEntry | None:
    """The entry this key already made (a replay), or None; another payload under it is a 409."""
    entry = await uow.ledger.by_idempotency_key(key)
    if entry is not None and not entry.matches(movement):
        raise IdempotencyConflictError(key.split(":", 1)[1])
    return entry


async def raise_if_charged(uow: UnitOfWork, key: str, movement: Movement) -> None:
    """Before a refusal stands: a key that already charged is a repeat, answered with its charge."""
    if await earlier_charge(uow, key, movement) is not None:
        raise DuplicateRequestError(key)


def response_for(entry: LedgerEntry, replay: bool) -> ConsumeCreditsResponse:
    return ConsumeCreditsResponse(
        credits_charged=-entry.delta,
        charged_subject_type=entry.subject.type,
        charged_subject_id=entry.subject.id,
        balance_after=entry.balance_after,
        ledger_entry_id=entry.entry_id,
        idempotent_replay=replay,
    )


async def charge(
    uow: UnitOfWork,
    request: ConsumeCreditsRequest,
    policy: CreditPolicy,
    correlation_id: UUID,
) -> LedgerEntry:
    """Charges inside `uow` (the caller commits); DuplicateRequestError if the key got taken."""
    cost = checked_quantity(request.quantity) * priced(policy, request.metric).cost_per_unit
    actor = Actor(request.user_id, request.org_id)
    after = await move_for_first_payer(uow, actor, -cost, 0, policy, correlation_id)
    key = scoped_key("consume", request.idempotency_key)
    entry = LedgerEntry.record(after, -cost, 0, consumption_movement(request), correlation_id, key)
    if not await uow.ledger.add(entry):
        raise DuplicateRequestError(key)
    emit_balance_changed(uow, entry, request.idempotency_key)
    emit_usage_recorded(uow, entry, cost, request.idempotency_key)
    return entry


class ConsumeCredits:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        policies: PolicyStore,
        limiter: RateLimiter,
        clock: Clock,
    ) -> None:
        self.uows = uows
        self.policies = policies
        self.limiter = limiter
        self.clock = clock

    async def __call__(
        self, request: ConsumeCreditsRequest, correlation_id: UUID
    ) -> ConsumeCreditsResponse:
        try:
            return await self._charge_once(request, correlation_id)
        except DuplicateRequestError:
            return await self._replay(request)

    async def _charge_once(
        self, request: ConsumeCreditsRequest, correlation_id: UUID
    ) -> ConsumeCreditsResponse:
        """Charges without looking the key up first: a repeat of a charge that went through is
        caught by the ledger's unique key, or, if the charge is refused (402, 429), by a lookup
        made before the refusal stands. A fresh charge so saves a round trip."""
        policy = self.policies.current
        checked_quantity(request.quantity)
        usage = RateUsage(
            request.user_id, request.metric, request.quantity, priced(policy, request.metric)
        )
        key = scoped_key("consume", request.idempotency_key)
        async with self.uows() as uow:
            if_repeat = partial(raise_if_charged, uow, key, consumption_movement(request))
            async with rate_checked(
                self.limiter, self.clock, uow, usage, correlation_id, if_repeat
            ):
                try:
                    entry = await charge(uow, request, policy, correlation_id)
                except InsufficientCreditsError:
                    await if_repeat()
                    raise
                await uow.commit()
        return response_for(entry, replay=False)

    async def _replay(self, request: ConsumeCreditsRequest) -> ConsumeCreditsResponse:
        key = scoped_key("consume", request.idempotency_key)
        async with self.uows() as uow:
            earlier = await earlier_charge(uow, key, consumption_movement(request))
        if earlier is None:
            raise RuntimeError(f"idempotency key {key} was taken but holds no entry")
        return response_for(earlier, replay=True)
