"""Authorizations (holds): reserve up front, consume as work completes, release or expire the rest.

`held` on the payer's account is the sum of its active holds' remaining credits; the ledger
records each change of it (held_delta), so balance and held both equal the sums of their ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

from common_core.domain_enums import AuthorizationStatus, CreditMovementReason
from common_core.models.entitlements_api import (
    AuthorizationResponse,
    ConsumeAuthorizationRequest,
    CreateAuthorizationRequest,
)
from huleedu_service_libs.clock import Clock
from services.entitlements_service.domain.accounts import Actor
from services.entitlements_service.domain.errors import (
    AuthorizationNotFoundError,
    IdempotencyConflictError,
    InvalidRequestError,
)
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry, scoped_key
from services.entitlements_service.handlers.accounts import move_for_first_payer
from services.entitlements_service.handlers.consumption import (
    checked_quantity,
    earlier_charge,
    priced,
)
from services.entitlements_service.handlers.events import (
    emit_balance_changed,
    emit_usage_authorized,
    emit_usage_recorded,
)
from services.entitlements_service.handlers.hold_records import (
    consume_movement,
    hold_fingerprint,
    hold_movement,
    new_hold,
)
from services.entitlements_service.handlers.rate_limiting import RateLimiter
from services.entitlements_service.handlers.support import (
    HoldLimits,
    RateUsage,
    hold_response,
    rate_checked,
    shift_held,
)
from services.entitlements_service.implementations.policy_store import PolicyStore
from services.entitlements_service.metrics import EntitlementsMetrics
from services.entitlements_service.protocols import (
    KeyTakenError,
    UnitOfWork,
    UnitOfWorkFactory,
)


@dataclass
class Authorizations:
    uows: UnitOfWorkFactory
    policies: PolicyStore
    limiter: RateLimiter
    clock: Clock
    limits: HoldLimits
    metrics: EntitlementsMetrics

    async def create(
        self, request: CreateAuthorizationRequest, correlation_id: UUID
    ) -> AuthorizationResponse:
        key = scoped_key("hold", request.idempotency_key)
        try:
            return await self._create_once(request, key, correlation_id)
        except KeyTakenError:
            async with self.uows() as uow:
                existing = await self._existing_hold(uow, request, key)
            if existing is None:
                raise RuntimeError(f"hold key {key} was taken but holds no hold") from None
            return existing

    async def _create_once(
        self, request: CreateAuthorizationRequest, key: str, correlation_id: UUID
    ) -> AuthorizationResponse:
        policy = self.policies.current
        metric_policy = priced(policy, request.metric)
        if metric_policy.free:
            raise InvalidRequestError("a free metric needs no authorization", metric=request.metric)
        ttl = self.limits.ttl(request.ttl_seconds)
        checked_quantity(request.quantity)
        async with self.uows() as uow:
            existing = await self._existing_hold(uow, request, key)
            if existing is not None:
                return existing
            usage = RateUsage(request.user_id, request.metric, request.quantity, metric_policy)
            async with rate_checked(self.limiter, self.clock, self.uows, usage, correlation_id):
                hold = await self._reserve(uow, request, key, ttl, correlation_id)
                await uow.commit()
        return hold_response(hold)

    async def _existing_hold(
        self, uow: UnitOfWork, request: CreateAuthorizationRequest, key: str
    ) -> AuthorizationResponse | None:
        hold = await uow.authorizations.by_idempotency_key(key)
        if hold is None:
            return None
        if hold.fingerprint != hold_fingerprint(request):
            raise IdempotencyConflictError(request.idempotency_key)
        return hold_response(hold, replay=True)

    async def _reserve(
        self,
        uow: UnitOfWork,
        request: CreateAuthorizationRequest,
        key: str,
        ttl: timedelta,
        correlation_id: UUID,
    ) -> Hold:
        policy = self.policies.current
        unit_cost = priced(policy, request.metric).cost_per_unit
        cost = request.quantity * unit_cost
        actor = Actor(request.user_id, request.org_id)
        after = await move_for_first_payer(uow, actor, 0, cost, policy, correlation_id)
        hold = new_hold(request, after.subject, unit_cost, self.clock.now() + ttl, key)
        if not await uow.authorizations.add(hold):
            raise KeyTakenError(key)
        movement = hold_movement(hold, CreditMovementReason.HOLD)
        entry = LedgerEntry.record(after, 0, cost, movement, correlation_id)
        await uow.ledger.add(entry)
        emit_usage_authorized(uow, hold, correlation_id)
        emit_balance_changed(uow, entry, request.idempotency_key)
        return hold

    async def consume(
        self,
        authorization_id: UUID,
        request: ConsumeAuthorizationRequest,
        correlation_id: UUID,
        caller_user_id: str | None = None,
    ) -> AuthorizationResponse:
        try:
            async with self.uows() as uow:
                hold, replay = await self.consume_in(
                    uow, authorization_id, request, correlation_id, caller_user_id
                )
                await uow.commit()
        except KeyTakenError:
            async with self.uows() as uow:
                hold, replay = await self.consume_in(
                    uow, authorization_id, request, correlation_id, caller_user_id
                )
        self.count_charge(hold, request.quantity, replay)
        return hold_response(hold, replay=replay)

    def count_charge(self, hold: Hold, quantity: int, replay: bool) -> None:
        """Once the charge against `hold` is committed (or found already made)."""
        if replay:
            self.metrics.replayed(hold.payer.type)
        else:
            self.metrics.charged(hold.payer.type, quantity * hold.unit_cost)

    async def consume_in(
        self,
        uow: UnitOfWork,
        authorization_id: UUID,
        request: ConsumeAuthorizationRequest,
        correlation_id: UUID,
        caller_user_id: str | None = None,
        resource_id: str | None = None,
    ) -> tuple[Hold, bool]:
        """(the hold after, whether this key had already been charged); the caller commits."""
        hold = await self._locked(uow, authorization_id, caller_user_id)
        key = scoped_key(f"hold-consume:{authorization_id}", request.idempotency_key)
        movement = consume_movement(hold, request.quantity, resource_id)
        if await earlier_charge(uow, key, movement) is not None:
            return hold, True
        cost = checked_quantity(request.quantity) * hold.unit_cost
        consumed = hold.consume(cost, self.clock.now())
        after = await shift_held(uow, hold.payer, -cost, -cost)
        await uow.authorizations.save(consumed)
        entry = LedgerEntry.record(after, -cost, -cost, movement, correlation_id, key)
        if not await uow.ledger.add(entry):
            raise KeyTakenError(key)
        emit_balance_changed(uow, entry, request.idempotency_key)
        emit_usage_recorded(uow, entry, cost, request.idempotency_key)
        return consumed, False

    async def release(
        self,
        authorization_id: UUID,
        correlation_id: UUID,
        caller_user_id: str | None = None,
        note: str | None = None,
    ) -> AuthorizationResponse:
        async with self.uows() as uow:
            hold = await self._locked(uow, authorization_id, caller_user_id)
            if hold.status is not AuthorizationStatus.ACTIVE:
                return hold_response(hold, replay=True)
            closed = await self._close(uow, hold, hold.release(), correlation_id, note)
            await uow.commit()
        return hold_response(closed)

    async def expire_due(self, batch_size: int) -> int:
        """Expires due holds one transaction each (no lock-order cycles); returns how many."""
        expired = 0
        while expired < batch_size and await self._expire_one():
            expired += 1
        return expired

    async def _expire_one(self) -> bool:
        async with self.uows() as uow:
            due = await uow.authorizations.due_for_expiry(self.clock.now(), limit=1)
            if not due:
                return False
            await self._close(uow, due[0], due[0].expire(), uuid4())
            await uow.commit()
        return True

    async def _close(
        self,
        uow: UnitOfWork,
        hold: Hold,
        closed: Hold,
        correlation_id: UUID,
        note: str | None = None,
    ) -> Hold:
        remaining = hold.remaining
        await uow.authorizations.save(closed)
        if remaining == 0:
            return closed
        after = await shift_held(uow, hold.payer, 0, -remaining)
        reason = (
            CreditMovementReason.HOLD_EXPIRY
            if closed.status is AuthorizationStatus.EXPIRED
            else CreditMovementReason.HOLD_RELEASE
        )
        movement = replace(hold_movement(hold, reason), note=note)
        entry = LedgerEntry.record(after, 0, -remaining, movement, correlation_id)
        await uow.ledger.add(entry)
        emit_balance_changed(uow, entry, None)
        return closed

    async def _locked(
        self, uow: UnitOfWork, authorization_id: UUID, caller_user_id: str | None
    ) -> Hold:
        hold = await uow.authorizations.get_for_update(authorization_id)
        # Another user's hold is as good as missing (never confirm that it exists).
        if hold is None or (caller_user_id is not None and hold.user_id != caller_user_id):
            raise AuthorizationNotFoundError(authorization_id)
        return hold
