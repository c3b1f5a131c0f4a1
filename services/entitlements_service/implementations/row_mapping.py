"""Between table rows and domain objects. Rows come as SQLAlchemy mappings (`row._mapping`) or
asyncpg records: both are read by column name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common_core.domain_enums import AuthorizationStatus, CreditMovementReason, CreditSubjectType
from services.entitlements_service.domain.accounts import Subject
from services.entitlements_service.domain.holds import Hold
from services.entitlements_service.domain.ledger import LedgerEntry, Movement

Values = Mapping[Any, Any]  # SQLAlchemy row mappings and asyncpg records, read by column name


def _subject(row: Values) -> Subject:
    return Subject(CreditSubjectType(row["subject_type"]), row["subject_id"])


LEDGER_COLUMNS = (
    *("id", "subject_type", "subject_id", "delta", "held_delta", "balance_after", "held_after"),
    *("reason", "idempotency_key", "request_fingerprint", "metric", "quantity"),
    *("authorization_id", "user_id", "org_id", "resource_id", "actor", "note", "correlation_id"),
)


def ledger_values(entry: LedgerEntry) -> dict[str, Any]:
    movement = entry.movement
    return {
        "id": entry.entry_id,
        "subject_type": entry.subject.type.value,
        "subject_id": entry.subject.id,
        "delta": entry.delta,
        "held_delta": entry.held_delta,
        "balance_after": entry.balance_after,
        "held_after": entry.held_after,
        "reason": movement.reason.value,
        "idempotency_key": entry.idempotency_key,
        "request_fingerprint": movement.fingerprint(),
        "metric": movement.metric,
        "quantity": movement.quantity,
        "authorization_id": movement.authorization_id,
        "user_id": movement.user_id,
        "org_id": movement.org_id,
        "resource_id": movement.resource_id,
        "actor": movement.actor,
        "note": movement.note,
        "correlation_id": entry.correlation_id,
    }


def ledger_from_row(row: Values) -> LedgerEntry:
    movement = Movement(
        reason=CreditMovementReason(row["reason"]),
        user_id=row["user_id"],
        org_id=row["org_id"],
        metric=row["metric"],
        quantity=row["quantity"],
        resource_id=row["resource_id"],
        authorization_id=row["authorization_id"],
        actor=row["actor"],
        note=row["note"],
    )
    return LedgerEntry(
        subject=_subject(row),
        delta=row["delta"],
        held_delta=row["held_delta"],
        balance_after=row["balance_after"],
        held_after=row["held_after"],
        movement=movement,
        correlation_id=row["correlation_id"],
        idempotency_key=row["idempotency_key"],
        entry_id=row["id"],
        created_at=row["created_at"],
        seq=row["seq"],
    )


def hold_values(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.authorization_id,
        "subject_type": hold.payer.type.value,
        "subject_id": hold.payer.id,
        "user_id": hold.user_id,
        "org_id": hold.org_id,
        "metric": hold.metric,
        "quantity": hold.quantity,
        "unit_cost": hold.unit_cost,
        "credits_reserved": hold.credits_reserved,
        "credits_consumed": hold.credits_consumed,
        "status": hold.status.value,
        "idempotency_key": hold.idempotency_key,
        "request_fingerprint": hold.fingerprint,
        "resource_id": hold.resource_id,
        "expires_at": hold.expires_at,
    }


def hold_from_row(row: Values) -> Hold:
    return Hold(
        authorization_id=row["id"],
        payer=_subject(row),
        user_id=row["user_id"],
        org_id=row["org_id"],
        metric=row["metric"],
        quantity=row["quantity"],
        unit_cost=row["unit_cost"],
        credits_reserved=row["credits_reserved"],
        credits_consumed=row["credits_consumed"],
        status=AuthorizationStatus(row["status"]),
        idempotency_key=row["idempotency_key"],
        fingerprint=row["request_fingerprint"],
        resource_id=row["resource_id"],
        expires_at=row["expires_at"],
    )
