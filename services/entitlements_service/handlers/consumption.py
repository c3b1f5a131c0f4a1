"""Consumption: a metric's cost charged once per idempotency key, to org or user, never split.

The balance update (a conditional UPDATE: nothing is charged unless the whole amount is
available), the ledger row and the outbox events are written by one statement
(`ChargeRepository`), so they commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from uuid import UUID

from common_core.domain_enums import CreditMovementReason
from common_core.models.entitlements_api import ConsumeCreditsRequest, ConsumeCreditsResponse
from huleedu_service_libs.clock import Clock
from services.entitlements_service.domain.accounts import Actor, Balance, Subject
from services.entitlements_service.domain.errors import (
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    UnknownMetricError,
)
from services.entitlements_service.domain.ledger import LedgerEntry, Movement, scoped_key
from services.entitlements_service.domain.policy import MAX_QUANTITY, CreditPolicy, MetricPolicy
from services.entitlements_service.handlers.accounts import insufficient, open_account
from services.entitlements_service.handlers.events import (
    ACCOUNT_AGGREGATE,
    balance_changed,
    usage_recorded,
)
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.support import RateUsage, rate_checked
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.metrics import EntitlementsMetrics, first_payer
from services.entitlements_service.protocols import (
    ChargeRepository,
    KeyTakenError,
    PlannedCharge,
    UnitOfWork,
    UnitOfWorkFactory,
)


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
        raise KeyTakenError(key)


def response_for(entry: LedgerEntry, replay: bool) -> ConsumeCreditsResponse:
    return ConsumeCreditsResponse(
        credits_charged=-entry.delta,
        charged_subject_type=entry.subject.type,
        charged_subject_id=entry.subject.id,
        balance_after=entry.balance_after,
        ledger_entry_id=entry.entry_id,
        idempotent_replay=replay,
    )


def planned_charge(
    subject: Subject, cost: int, request: ConsumeCreditsRequest, correlation_id: UUID
) -> PlannedCharge:
    key = scoped_key("consume", request.idempotency_key)
    placeholder = Balance(subject, balance=0)  # the store fills in the balance after the charge
    movement = consumption_movement(request)
    entry = LedgerEntry.record(placeholder, -cost, 0, movement, correlation_id, key)
    return PlannedCharge(
        entry=entry,
        balance_event=balance_changed(entry, request.idempotency_key),
        other_events=(usage_recorded(entry, cost, request.idempotency_key),),
        aggregate_type=ACCOUNT_AGGREGATE,
    )


async def charge(
    charges: ChargeRepository,
    uows: UnitOfWorkFactory,
    request: ConsumeCreditsRequest,
    policy: CreditPolicy,
    correlation_id: UUID,
) -> LedgerEntry:
    """Org first, then user: the first account that covers the whole cost pays it. Raises
    KeyTakenError if the key already charged, InsufficientCreditsError if no account covers it."""
    cost = checked_quantity(request.quantity) * priced(policy, request.metric).cost_per_unit
    actor = Actor(request.user_id, request.org_id)
    for subject in actor.payers():
        planned = planned_charge(subject, cost, request, correlation_id)
        written = await charges.charge(planned)
        if written is None:
            # No account, or not enough on it: open it if missing, then try once more. Tried
            # again even if this request opened nothing, because a concurrent request may have
            # opened it (with its bonus) after this one's charge found none.
            await _open_if_missing(uows, subject, policy, correlation_id)
            written = await charges.charge(planned)
        if written is not None:
            return written
    async with uows() as uow:
        raise await insufficient(uow, actor, cost, policy)


async def _open_if_missing(
    uows: UnitOfWorkFactory, subject: Subject, policy: CreditPolicy, correlation_id: UUID
) -> None:
    async with uows() as uow:
        if await open_account(uow, subject, policy, correlation_id):
            await uow.commit()


@dataclass
class ConsumeCredits:
    uows: UnitOfWorkFactory
    charges: ChargeRepository
    policies: PolicyStore
    limiter: RateLimiter
    clock: Clock
    metrics: EntitlementsMetrics

    async def __call__(
        self, request: ConsumeCreditsRequest, correlation_id: UUID
    ) -> ConsumeCreditsResponse:
        try:
            response = await self._charge_once(request, correlation_id)
        except KeyTakenError:
            replay = await self._replay(request)
            self.metrics.replayed(replay.charged_subject_type)
            return replay
        except InsufficientCreditsError:
            self.metrics.refused(first_payer(request.org_id))
            raise
        self.metrics.charged(response.charged_subject_type, response.credits_charged)
        return response

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
        if_repeat = partial(self._raise_if_charged, key, consumption_movement(request))
        async with rate_checked(
            self.limiter, self.clock, self.uows, usage, correlation_id, if_repeat
        ):
            try:
                entry = await charge(self.charges, self.uows, request, policy, correlation_id)
            except InsufficientCreditsError:
                await if_repeat()
                raise
        return response_for(entry, replay=False)

    async def _raise_if_charged(self, key: str, movement: Movement) -> None:
        async with self.uows() as uow:
            await raise_if_charged(uow, key, movement)

    async def _replay(self, request: ConsumeCreditsRequest) -> ConsumeCreditsResponse:
        key = scoped_key("consume", request.idempotency_key)
        async with self.uows() as uow:
            earlier = await earlier_charge(uow, key, consumption_movement(request))
        if earlier is None:
            raise RuntimeError(f"idempotency key {key} was taken but holds no entry")
        return response_for(earlier, replay=True)
