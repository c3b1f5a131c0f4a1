"""The events each state change announces; ids derive from the ledger entry, so they are stable,
and the correlation id is the one the entry (or the hold, or the refusal) was made under."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from common_core.events.entitlements import (
    CreditBalanceChangedV1,
    RateLimitExceededV1,
    UsageAuthorizedV1,
    UsageRecordedV1,
)
from common_core.events.envelope import deterministic_event_id
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.domain.rate_limits import WindowState
from services.entitlements_service.protocols import PlannedEvent, UnitOfWork

ACCOUNT_AGGREGATE = "credit_account"


def emit_balance_changed(uow: UnitOfWork, entry: LedgerEntry, request_key: str | None) -> None:
    _emit(uow, entry.subject, balance_changed(entry, request_key), entry.correlation_id)


def balance_changed(entry: LedgerEntry, request_key: str | None) -> PlannedEvent:
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
    return PlannedEvent(payload, event_id)


def emit_usage_recorded(
    uow: UnitOfWork, entry: LedgerEntry, credits: int, request_key: str
) -> None:
    event = usage_recorded(entry, credits, request_key)
    _emit(uow, entry.subject, event, entry.correlation_id)


def usage_recorded(entry: LedgerEntry, credits: int, request_key: str) -> PlannedEvent:
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
    return PlannedEvent(payload, event_id)


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
    _emit(uow, hold.payer, PlannedEvent(payload, event_id), correlation_id)


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
    _emit(uow, subject, PlannedEvent(payload, event_id), correlation_id)


def _emit(uow: UnitOfWork, subject: Subject, event: PlannedEvent, correlation_id: UUID) -> None:
    uow.emit(
        event.payload,
        aggregate_type=ACCOUNT_AGGREGATE,
        aggregate_id=subject.key,
        event_id=event.event_id,
        correlation_id=correlation_id,
    )
