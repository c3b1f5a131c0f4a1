"""The records a hold makes: the hold itself and the ledger movements of its life."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from common_core.domain_enums import CreditMovementReason
from common_core.models.entitlements_api import CreateAuthorizationRequest
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import Movement


def hold_fingerprint(request: CreateAuthorizationRequest) -> str:
    movement = Movement(
        CreditMovementReason.HOLD,
        user_id=request.user_id,
        org_id=request.org_id,
        metric=request.metric,
        quantity=request.quantity,
        resource_id=request.resource_id,
    )
    return movement.fingerprint()


def new_hold(
    request: CreateAuthorizationRequest,
    payer: Subject,
    unit_cost: int,
    expires_at: datetime,
    key: str,
) -> Hold:
    return Hold(
        authorization_id=uuid4(),
        payer=payer,
        user_id=request.user_id,
        org_id=request.org_id,
        metric=request.metric,
        quantity=request.quantity,
        unit_cost=unit_cost,
        credits_reserved=request.quantity * unit_cost,
        expires_at=expires_at,
        idempotency_key=key,
        fingerprint=hold_fingerprint(request),
        resource_id=request.resource_id,
    )


def hold_movement(hold: Hold, reason: CreditMovementReason) -> Movement:
    return Movement(
        reason,
        user_id=hold.user_id,
        org_id=hold.org_id,
        metric=hold.metric,
        quantity=hold.quantity,
        resource_id=hold.resource_id,
        authorization_id=hold.authorization_id,
    )


def consume_movement(hold: Hold, quantity: int, resource_id: str | None) -> Movement:
    return Movement(
        CreditMovementReason.CONSUMPTION,
        user_id=hold.user_id,
        org_id=hold.org_id,
        metric=hold.metric,
        quantity=quantity,
        resource_id=resource_id or hold.resource_id,
        authorization_id=hold.authorization_id,
    )
