"""The events each state change announces; ids derive from the ledger entry, so they are stable."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from uuid import UUID

from common_core.events.codec import new_envelope
from common_core.events.entitlements import (
    CreditBalanceChangedV1,
    RateLimitExceededV1,
    UsageAuthorizedV1,
    UsageRecordedV1,
)
from common_core.events.envelope import EventEnvelope, deterministic_event_id
from services.entitlements_service.config import SERVICE_NAME
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.domain.rate_limits import WindowState
from services.entitlements_service.protocols import UnitOfWork

ACCOUNT_AGGREGATE = "credit_account"


def emit_balance_changed(uow: UnitOfWork, entry: LedgerEntry, request_key: str | None) -> None:
    uow.emit(balance_changed(entry, request_key), ACCOUNT_AGGREGATE, entry.subject.key)


def balance_changed(
    entry: LedgerEntry, request_key: str | None
) -> EventEnvelope[CreditBalanceChangedV1]:
    payload = CreditBalanceChangedV1(
        subject_type=entry.subject.type,
        subject_id=entry.subject.id,
        delta=entry.delta,
        balance_after=entry.balance_after,
        available_after=entry.available_after,
        reason=entry.movement.reason,
        ledger_entry_id=entry.entry_id,
        idempotency_key=request_key,
    )
    event_id = deterministic_event_id("entitlements.balance_changed", str(entry.entry_id))
    return _envelope(payload, entry.correlation_id, event_id)


def emit_usage_recorded(
    uow: UnitOfWork, entry: LedgerEntry, credits: int, request_key: str
) -> None:
    uow.emit(usage_recorded(entry, credits, request_key), ACCOUNT_AGGREGATE, entry.subject.key)


def usage_recorded(
    entry: LedgerEntry, credits: int, request_key: str
) -> EventEnvelope[UsageRecordedV1]:
    movement = entry.movement
    if movement.user_id is None or movement.metric is None or movement.quantity is None:
        raise ValueError("a usage entry names its user, metric and quantity")
    payload = UsageRecordedV1(
        user_id=movement.user_id,
        org_id=movement.org_id,
        metric=movement.metric,
        quantity=movement.quantity,
        credits_charged=credits,
        charged_subject_type=entry.subject.type,
        charged_subject_id=entry.subject.id,
        idempotency_key=request_key,
        ledger_entry_id=entry.entry_id,
        authorization_id=movement.authorization_id,
        resource_id=movement.resource_id,
    )
    event_id = deterministic_event_id("entitlements.usage_recorded", str(entry.entry_id))
    return _envelope(payload, entry.correlation_id, event_id)


def emit_usage_authorized(uow: UnitOfWork, hold: Hold, correlation_id: UUID) -> None:
    payload = UsageAuthorizedV1(
        authorization_id=hold.authorization_id,
        user_id=hold.user_id,
        org_id=hold.org_id,
        metric=hold.metric,
        quantity=hold.quantity,
        credits_reserved=hold.credits_reserved,
        charged_subject_type=hold.payer.type,
        charged_subject_id=hold.payer.id,
        expires_at=hold.expires_at,
        resource_id=hold.resource_id,
    )
    event_id = deterministic_event_id("entitlements.usage_authorized", str(hold.authorization_id))
    uow.emit(_envelope(payload, correlation_id, event_id), ACCOUNT_AGGREGATE, hold.payer.key)


def emit_rate_limit_exceeded(
    uow: UnitOfWork,
    subject: Subject,
    metric: str,
    window: WindowState,
    correlation_id: UUID,
    at: datetime,
) -> None:
    payload = RateLimitExceededV1(
        subject_type=subject.type,
        subject_id=subject.id,
        metric=metric,
        limit=window.limit,
        window_seconds=window.window_seconds,
        current_count=window.used,
        retry_after_seconds=window.retry_after_seconds,
    )
    business_key = f"{subject.key}:{metric}:{correlation_id}:{at.isoformat()}"
    event_id = deterministic_event_id("entitlements.rate_limit_exceeded", business_key)
    uow.emit(_envelope(payload, correlation_id, event_id), ACCOUNT_AGGREGATE, subject.key)


Payload = TypeVar(
    "Payload", CreditBalanceChangedV1, UsageRecordedV1, UsageAuthorizedV1, RateLimitExceededV1
)


def _envelope(payload: Payload, correlation_id: UUID, event_id: UUID) -> EventEnvelope[Payload]:
    return new_envelope(
        payload, source_service=SERVICE_NAME, correlation_id=correlation_id, event_id=event_id
    )
